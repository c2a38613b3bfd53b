"""Small apps that tests start in real servers (uvicorn, hypercorn)."""
