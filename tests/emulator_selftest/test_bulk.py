"""/bulk: order, statcodes, deprecated performRequest, limits, link units inside a bulk."""

from __future__ import annotations

import json

from .conftest import RawFactory


async def test_bulk_order_and_statcodes(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=3, link_units=1)
    raw = await raw_client(emu)
    status, payload = await raw.bulk(
        [
            ("/model/pdu/0", "getSettings", None),
            ("/model/pdu/0/outlet/0", "setPowerState", {"pstate": 0}),
            ("/model/pdu/0/outlet/0", "getState", None),
            ("/model/pdu/0/outlet/7", "getState", None),
            ("/model/pdu/0", "bogus", None),
            ("/model/pdu/2", "getMetaData", None),
            ("/model/unit", "identify", {"seconds": 1}),
        ]
    )
    assert status == 200
    assert payload["id"] == raw.next_id
    assert set(payload["result"]) == {"responses"}
    responses = payload["result"]["responses"]
    assert [r["statcode"] for r in responses] == [200, 200, 200, 404, 200, 200, 200]
    assert [r["json"]["id"] for r in responses] == [0, 1, 2, 3, 4, 5, 6]
    assert all(r["json"]["jsonrpc"] == "2.0" for r in responses)
    assert responses[1]["json"]["result"] == {"_ret_": 0}
    assert responses[2]["json"]["result"]["_ret_"]["powerState"] == 0  # sequential: sees the switch
    assert responses[3]["json"]["error"]["code"] == 404
    assert responses[4]["json"]["error"]["code"] == -32601
    link_meta = responses[5]["json"]["result"]["_ret_"]
    assert link_meta["nameplate"]["serialNumber"] == emu.unit(2).serial
    assert responses[6]["json"]["result"] is None  # void
    direct = await raw.ret("/model/pdu/2", "getMetaData")
    assert direct == link_meta  # a link-unit sub-request behaves like the direct call


async def test_bulk_without_params_and_with_string_ids(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    body = {
        "jsonrpc": "2.0",
        "method": "performBulk",
        "id": 43,
        "params": {
            "requests": [
                {
                    "rid": "/model/pdu/0",
                    "json": {"jsonrpc": "2.0", "method": "getInlets", "id": "inlet"},
                },
                {"rid": "/model/pdu/0", "json": {"method": "getOutlets", "id": "outlet"}},
            ]
        },
    }
    status, payload, _ = await raw.post("/bulk", body)
    assert status == 200
    ids = [r["json"]["id"] for r in payload["result"]["responses"]]
    assert ids == ["inlet", "outlet"]
    outlets = payload["result"]["responses"][1]["json"]["result"]["_ret_"]
    assert len(outlets) == 2


async def test_deprecated_perform_request(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=2)
    raw = await raw_client(emu)
    requests = [
        {"rid": "/firmware", "json": json.dumps({"method": "getVersion", "id": 1})},
        {"rid": "/nope", "json": json.dumps({"method": "x", "id": 2})},
        {"rid": "/firmware", "json": "{broken"},
    ]
    result = await raw.result("/bulk", "performRequest", {"requests": requests})
    responses = result["responses"]
    assert all(isinstance(r["json"], str) for r in responses)
    assert json.loads(responses[0]["json"])["result"]["_ret_"] == "4.4.1.5-53217"
    assert responses[1]["statcode"] == 404
    assert json.loads(responses[2]["json"])["error"]["code"] == -32700


async def test_bulk_validation_limits_and_nesting(emulator_factory, raw_client: RawFactory):
    emu = await emulator_factory(outlets=4, max_bulk=3)
    raw = await raw_client(emu)
    _, payload = await raw.call("/bulk", "performBulk", {"requests": "nope"})
    assert payload["error"]["code"] == -32602
    _, payload = await raw.call("/bulk", "performBulk", {"requests": [{"rid": 1, "json": {}}]})
    assert payload["error"]["code"] == -32602
    _, payload = await raw.call("/bulk", "unknown")
    assert payload["error"]["code"] == -32601
    status, _ = await raw.bulk([("/model/pdu/0", "getMetaData", None)] * 4)
    assert status == 413
    status, payload = await raw.bulk([("/model/pdu/0", "getMetaData", None)] * 3)
    assert status == 200
    assert len(payload["result"]["responses"]) == 3
    _, payload = await raw.bulk([("/bulk", "performBulk", {"requests": []})])
    assert payload["result"]["responses"][0]["statcode"] == 400
    emu500 = await emulator_factory(outlets=1, max_bulk=1, max_bulk_status=500)
    raw500 = await raw_client(emu500)
    status, _ = await raw500.bulk([("/model/outlet/0", "setPowerState", {"pstate": 0})] * 2)
    assert status == 500
    assert emu500.unit(0).outlet(0).power_state == 1
