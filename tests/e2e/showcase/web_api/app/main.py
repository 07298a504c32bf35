"""The login API: register, log in for a bearer token, read your own profile."""

import threading

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, Field

from app.auth import hash_password, issue_token, read_token, verify_password
from app.settings import Settings, load_settings


class Registration(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=8, max_length=256)


class Login(BaseModel):
    username: str
    password: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class User(BaseModel):
    username: str


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    users: dict[str, str] = {}  # username -> scrypt hash; a database in production
    lock = threading.Lock()
    app = FastAPI(title="Login API")

    def current_user(authorization: str) -> str:
        scheme, _, token = authorization.partition(" ")
        username = read_token(token, settings.secret_key) if scheme.lower() == "bearer" else None
        if username is None or username not in users:
            raise unauthorized("missing, invalid or expired token")
        return username

    @app.post("/register", status_code=201)
    def register(body: Registration) -> User:
        hashed = hash_password(body.password)
        with lock:
            if body.username in users:
                raise HTTPException(409, "username already taken")
            users[body.username] = hashed
        return User(username=body.username)

    @app.post("/login")
    def login(body: Login) -> Token:
        stored = users.get(body.username)
        if stored is None or not verify_password(body.password, stored):
            raise unauthorized("wrong username or password")
        return Token(
            access_token=issue_token(body.username, settings.secret_key, settings.token_ttl_s)
        )

    @app.get("/me")
    def me(username: str = Depends(current_user)) -> User:
        return User(username=username)

    return app


app = create_app()
