"""What the tests share, by concept: servers started over real sockets (`servers`), raw HTTP
spoken over them (`raw_http`), ASGI doubles for calling an app by hand (`asgi`), the two doors
a behaviour test runs through (`doors`) and process probes (`processes`).

Test modules import from here, never from one another.
"""
