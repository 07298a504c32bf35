def summary(values):
    return {"count": len(values), "mean": sum(values) / len(values), "max": max(values)}
