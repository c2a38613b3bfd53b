"""What runs a request once Rust has matched its route and read it: `runner`, the one place a
route runs, for both doors."""
