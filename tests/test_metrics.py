"""GET /metrics: Prometheus text with requests, faults, latency and the pool."""

from tests.helpers import Api


async def test_metrics_count_calls_and_faults_by_name(api: Api, sid: str) -> None:
    await api.call(sid, "customer_group.list")
    await api.fault(sid, "customer.info", 404)
    await api.fault(sid, "made.up")
    response = await api.client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()
    assert 'gateway_calls_total{method="call"} 3.0' in text
    assert 'gateway_api_calls_total{api_path="customer_group.list"} 1.0' in text
    assert 'gateway_faults_total{fault="customer_not_exists",method="call"} 1.0' in text
    assert (
        'gateway_api_faults_total{api_path="customer.info",fault="customer_not_exists"} 1.0' in text
    )
    assert 'gateway_api_faults_total{api_path="other",fault="resource_path_invalid"} 1.0' in text
    assert 'gateway_http_requests_total{endpoint="jsonrpc",status="200"}' in text
    assert 'gateway_request_duration_seconds_bucket{endpoint="jsonrpc",le="0.1"}' in text
    assert "gateway_db_pool_max_connections 10.0" in text
    assert "gateway_db_pool_connections_in_use" in text


async def test_health_and_readiness(api: Api) -> None:
    assert (await api.client.get("/healthz")).status == 200
    ready = await api.client.get("/readyz")
    assert (ready.status, await ready.json()) == (200, {"status": "ok"})


async def test_a_shortcut_call_counts_once_as_a_method_and_once_as_an_api_path(
    api: Api, sid: str
) -> None:
    await api.result("customer.count", [sid])
    text = await (await api.client.get("/metrics")).text()
    assert 'gateway_calls_total{method="customer.count"} 1.0' in text
    assert 'gateway_api_calls_total{api_path="customer.count"} 1.0' in text
    assert 'method="call"' not in text
