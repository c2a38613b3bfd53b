"""What a route is compiled into once, when it is registered: its signature's plan, which Rust
runs (`signature`, `specs`), the validators of its body, form and parameter models (`body`,
`form_plan`, `param_models`), its response model's serializer (`response_model`) and, for a
generator endpoint, the wrapper that streams its items (`item_streams`)."""
