class Web:
    def init_web(self):
        pass

    def add_web_routes(self):
        pass
