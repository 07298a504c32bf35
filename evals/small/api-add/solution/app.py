from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Numbers(BaseModel):
    a: float
    b: float


@app.get("/")
def root():
    return {"message": "calculator"}


@app.post("/add")
def add(numbers: Numbers):
    return {"sum": numbers.a + numbers.b}
