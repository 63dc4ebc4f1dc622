"""A hand-made service without the target architecture's defences."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index() -> str:
    return "hello"
