"""The HTTP under the public request and response classes: reading a request's body
(`body`, `forms`) and its Host header (`hosts`), and sending streamed responses
(`streaming`). Below requests.py and responses.py: it imports neither."""
