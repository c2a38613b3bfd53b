//! Router lookup cost with 10 vs 1,000 routes: it should not grow with route count.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use fasterapi_core::route::{Lookup, Router};

/// `n` paths in realistic API shapes, four per resource.
fn build(n: usize) -> Router<usize> {
    let mut router = Router::new();
    for i in 0..n {
        let r = i / 4;
        let (path, methods): (String, &[&str]) = match i % 4 {
            0 => (format!("/api/v1/resource{r}"), &["GET", "POST"]),
            1 => (
                format!("/api/v1/resource{r}/{{id}}"),
                &["GET", "PUT", "DELETE"],
            ),
            2 => (format!("/api/v1/resource{r}/{{id}}/sub"), &["GET"]),
            _ => (format!("/api/v1/resource{r}/search"), &["GET"]),
        };
        router.insert(&path, methods, i).unwrap();
    }
    router
}

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("router_lookup");
    for n in [10, 1000] {
        let router = build(n);
        // The same paths for both sizes, so only the route count differs.
        let r = 1;
        let cases = [
            ("static", format!("/api/v1/resource{r}/search")),
            ("param", format!("/api/v1/resource{r}/12345/sub")),
            ("miss", format!("/api/v1/resource{r}/12345/nope")),
        ];
        for (name, path) in &cases {
            let expect_found = *name != "miss";
            let found = matches!(router.lookup("GET", path), Lookup::Found { .. });
            assert_eq!(found, expect_found, "{path}");
            group.bench_with_input(BenchmarkId::new(*name, n), path.as_str(), |b, path| {
                b.iter(|| match router.lookup(black_box("GET"), black_box(path)) {
                    Lookup::Found { value, params } => *value + params.iter().count(),
                    _ => 0,
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
