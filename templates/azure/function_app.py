"""Azure Functions entry (Python v2 model), rendered by botship. HTTP routes need a function key."""

import json

import azure.functions as func

from botship_runtime.invoke import invoke, status

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


def _http(response: dict) -> func.HttpResponse:
    return func.HttpResponse(response["body"], status_code=response["statusCode"], mimetype="application/json")

#{schedule}
@app.timer_trigger(schedule="%BOTSHIP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def scheduled(timer: func.TimerRequest) -> None:
    invoke({"source": "schedule", "past_due": timer.past_due}, None)
#{/schedule}

@app.route(route="run", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def run(req: func.HttpRequest) -> func.HttpResponse:
    try:
        event = req.get_json() if req.get_body() else {}
    except ValueError:
        return func.HttpResponse('{"error": "the body must be JSON"}', status_code=400, mimetype="application/json")
    return _http(invoke({"source": "http", "payload": event}, None))


@app.route(route="status", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def bot_status(req: func.HttpRequest) -> func.HttpResponse:
    return _http(status())


@app.route(route="ping", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"pong": True}), mimetype="application/json")
