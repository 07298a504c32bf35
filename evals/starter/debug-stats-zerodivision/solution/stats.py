def summary(values):
    if not values:
        return {"count": 0, "mean": None, "max": None}
    return {"count": len(values), "mean": sum(values) / len(values), "max": max(values)}
