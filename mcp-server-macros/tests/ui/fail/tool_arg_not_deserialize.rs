use mcp_server::tool;

struct Point {
    x: i64,
}

/// Read a point.
#[tool]
async fn read_point(point: Point) -> i64 {
    point.x
}

fn main() {}
