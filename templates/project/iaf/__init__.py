"""The `iaf` template: an investing-algorithm-framework app with an offline price feed and a paper exchange."""
