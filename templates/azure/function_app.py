"""Azure Functions entry (Python v2 model), rendered by botship. Every HTTP route needs a function key."""

import os

import azure.functions as func

from botship_runtime.invoke import invoke, status

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


def _http(response: dict) -> func.HttpResponse:
    return func.HttpResponse(response["body"], status_code=response["statusCode"], mimetype="application/json")

#{schedule}
@app.timer_trigger(schedule="%BOTSHIP_SCHEDULE%", arg_name="timer", run_on_startup=False, use_monitor=True)
def scheduled(timer: func.TimerRequest) -> None:
    # The timer runs in UTC and fires at every instant that can be one of the bot's local times (one per offset
    # its zone uses): a firing that is not one of them, as the zone's clock reads now, runs nothing.
    local = os.environ.get("BOTSHIP_LOCAL_SCHEDULE", "")
    if local:
        from botship_runtime import logs, schedule_check

        tz = os.environ.get("BOTSHIP_TIMEZONE") or "UTC"
        at = schedule_check.fired_for(schedule_check.utcnow(), timer.schedule_status, timer.past_due)
        if not schedule_check.wanted(at, local, tz):
            logs.info(f"skipped: {at:%H:%M} UTC is not a scheduled time in {tz}", scheduled_for=at.isoformat())
            return
    invoke({"source": "schedule", "past_due": timer.past_due}, None)
#{/schedule}

@app.route(route="run", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def run(req: func.HttpRequest) -> func.HttpResponse:
    try:
        event = req.get_json() if req.get_body() else {}
    except ValueError:
        return func.HttpResponse('{"error": "the body must be JSON"}', status_code=400, mimetype="application/json")
    # The bot gets the event as sent, as it does on AWS Lambda (`botship invoke --event` is the same everywhere).
    return _http(invoke(event, None))


@app.route(route="status", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def bot_status(req: func.HttpRequest) -> func.HttpResponse:
    return _http(status())
