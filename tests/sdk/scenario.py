"""Drive an emulator with the official ``raritan.rpc`` bindings (whichever generation is
importable).

Used in-process by ``test_sdk_44.py`` (4.4.1 bindings from the venv) and as a subprocess script by
``test_sdk_36.py`` (``PYTHONPATH=.sdk/raritan-3.6``): ``python scenario.py URL USER PASSWORD
[sweep | slots] [gzip]`` prints one JSON object. It imports nothing from this repository.

Every call goes through :func:`exact`: the binding decodes the raw JSON-RPC result with its strict
IDL decoder (missing field -> exception) and the decoded value is *re-encoded* with the binding's
own encoders; the re-encoded JSON must equal the raw JSON, field for field and in the same order.
So the emulator can neither omit a field nor send one that the generation does not have.

:func:`strict_numbers` makes the bindings' number checks exact as well: an IDL double must arrive
as a JSON number with a fraction or exponent (``32.000000``, ``32.0``), an int as an integer (the
bindings alone accept an integer for a double). :func:`wire` counts what came over HTTP and, with
``accept_gzip``, asks for gzip and unpacks it below the bindings, as a gzip-capable client would.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import raritan.rpc
from raritan.rpc import (
    Agent,
    BulkRequestHelper,
    Enumeration,
    Interface,
    Structure,
    Time,
    ValueObject,
    cascading,
    event,
    firmware,
    idl,
    pdumodel,
    peripheral,
    sensors,
    session,
    usermgmt,
)


class Mismatch(AssertionError):
    pass


def _patch_typeinfo_for_py313() -> bool:
    """The 3.6 bindings resolve typecodes with ``exec("import x")`` + ``eval("x.y")`` inside a
    function, which breaks on Python 3.13 (PEP 667: exec no longer writes the function's locals).
    Replace only that lookup with the importlib-based one of the 4.4 bindings (same result: the
    class named by the typecode without versions). Decoding itself is untouched."""
    import functools
    import importlib

    from raritan.rpc import TypeInfo as ti_module

    info_cls = ti_module.TypeInfo if hasattr(ti_module, "TypeInfo") else ti_module
    try:
        info_cls.idlTypeIdToPyClass("sensors.Sensor:1.0.0")
        return False
    except NameError:
        pass

    def idl_type_id_to_py_class(cls: Any, type_id: str) -> Any:
        py_name = "raritan.rpc." + info_cls.typeBaseName(type_id)
        comps = py_name.split(".")
        class_name = [comps.pop()]
        while len(comps) >= 2:
            try:
                module = importlib.import_module(".".join(comps))
            except ImportError:
                class_name.insert(0, comps.pop())
                continue
            return functools.reduce(getattr, class_name, module)
        raise ImportError(f"Unable to find package for {type_id}.")

    info_cls.idlTypeIdToPyClass = classmethod(idl_type_id_to_py_class)
    return True


TYPEINFO_PATCHED = _patch_typeinfo_for_py313()


def encode(value: Any) -> Any:
    """Re-encode a decoded binding value to JSON (the binding's own encoders)."""
    if isinstance(value, ValueObject):
        return ValueObject.encode(value)
    if isinstance(value, Structure):
        return value.encode()
    if isinstance(value, Interface):
        return Interface.encode(value)
    if isinstance(value, Enumeration):
        return value.encode()
    if isinstance(value, Time):
        return value.encode()
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):  # an IDL map: [{key, value}] on the wire
        return [{"key": k, "value": encode(v)} for k, v in value.items()]
    return value


def _same(raw: Any, encoded: Any, where: str) -> None:
    if json.dumps(raw) != json.dumps(encoded):
        raise Mismatch(
            f"{where}: device sent {json.dumps(raw)[:2000]}\n"
            f"binding re-encodes {json.dumps(encoded)[:2000]}"
        )


CALLS: list[str] = []


def exact(method: Any, *args: Any, expect: Any = None) -> Any:
    """Call ``method`` (a bound binding method), decode strictly, check the re-encoding is
    identical (``expect``: what the bindings are known to re-encode differently, applied to the
    raw answer before the comparison, see :func:`bindings_default_devices`)."""
    target = method.parent.target
    where = f"{target} {method.name}"
    raw = method.parent.agent.json_rpc(target, method.name, method.encode(*args))
    decoded = method.decode(raw, method.parent.agent)
    CALLS.append(where)
    if expect is not None:
        raw = expect(raw)
    if raw is None:
        if decoded is not None:
            raise Mismatch(f"{where}: void result decoded to {decoded!r}")
        return decoded
    keys = list(raw)
    if len(keys) == 1:
        _same(raw[keys[0]], encode(decoded), where)
    else:
        assert isinstance(decoded, tuple), where
        for key, value in zip(keys, decoded, strict=True):
            _same(raw[key], encode(value), f"{where} .{key}")
    return decoded


def val(x: Any) -> Any:
    return x.val if isinstance(x, Enumeration) else x


@contextlib.contextmanager
def strict_numbers() -> Iterator[None]:
    """IDL float/double values must be JSON numbers with a fraction or exponent."""
    from raritan.rpc import typecheck

    saved = typecheck.is_float, typecheck.is_double

    def is_double(x: Any, exception: type[Exception]) -> None:
        if not isinstance(x, float):
            raise exception(f"{x!r} is not a double: the device sent {type(x).__name__}")

    typecheck.is_float = typecheck.is_double = is_double
    try:
        yield
    finally:
        typecheck.is_float, typecheck.is_double = saved


@contextlib.contextmanager
def wire(accept_gzip: bool) -> Iterator[dict[str, int]]:
    """Count HTTP responses (gzip-encoded ones, ``Connection: close`` ones) under the bindings;
    with ``accept_gzip`` send ``Accept-Encoding: gzip`` and unpack gzip bodies."""
    counts = {"responses": 0, "gzip": 0, "connection_close": 0}
    request, read = http.client.HTTPConnection.request, http.client.HTTPResponse.read

    def patched_request(self: Any, method: str, url: str, body: Any = None, headers: Any = None,
                        **kwargs: Any) -> Any:  # fmt: skip
        headers = dict(headers or {})
        if accept_gzip:
            headers["Accept-Encoding"] = "gzip"
        return request(self, method, url, body, headers, **kwargs)

    def patched_read(self: Any, amt: int | None = None) -> bytes:
        data = read(self, amt)
        if amt is None:
            counts["responses"] += 1
            if (self.getheader("Connection") or "").lower() == "close":
                counts["connection_close"] += 1
            if self.getheader("Content-Encoding") == "gzip":
                counts["gzip"] += 1
                data = gzip.decompress(data)
        return data

    http.client.HTTPConnection.request = patched_request  # type: ignore[method-assign]
    http.client.HTTPResponse.read = patched_read  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        http.client.HTTPConnection.request = request  # type: ignore[method-assign]
        http.client.HTTPResponse.read = read  # type: ignore[method-assign]


def checked(body: Any, url: str, user: str, password: str, accept_gzip: bool) -> dict[str, Any]:
    """``body(url, user, password)`` with strict numbers, counting the wire (``["wire"]``)."""
    with strict_numbers(), wire(accept_gzip) as counts:
        out: dict[str, Any] = body(url, user, password)
    out["wire"] = counts
    return out


def make_agent(url: str, user: str, password: str) -> Agent:
    """A bindings agent for the emulator at ``url`` (self-signed certificates accepted)."""
    parsed = urlparse(url)
    return Agent(
        parsed.scheme,
        parsed.netloc,
        user,
        password,
        disable_certificate_verification=True,
        timeout=20,
    )


def run(url: str, user: str, password: str, accept_gzip: bool = False) -> dict[str, Any]:
    return checked(scenario, url, user, password, accept_gzip)


def scenario(url: str, user: str, password: str) -> dict[str, Any]:
    parsed = urlparse(url)
    agent = make_agent(url, user, password)
    out: dict[str, Any] = {"bindings": raritan.rpc.__file__, "typeinfo_patched": TYPEINFO_PATCHED}

    pdu = pdumodel.Pdu("/model/pdu/0", agent)
    meta = exact(pdu.getMetaData)
    settings = exact(pdu.getSettings)
    exact(pdu.getNameplate)
    outlets = exact(pdu.getOutlets)
    inlets = exact(pdu.getInlets)
    ocps = exact(pdu.getOverCurrentProtectors)
    totals = exact(pdu.getSensors)
    exact(pdu.getTransferSwitches)
    out["pdu"] = {
        "serial": meta.nameplate.serialNumber,
        "model": meta.nameplate.model,
        "brand": meta.nameplate.brand,
        "fw": meta.fwRevision,
        "mac": meta.macAddress,
        "switchable": meta.hasSwitchableOutlets,
        "name": settings.name,
        "cycleDelay": settings.cycleDelay,
        "outlets": len(outlets),
        "inlets": len(inlets),
        "ocps": len(ocps),
        "total_power": exact(totals.activePower.getReading).value,
        "total_power_type": totals.activePower.idlType,
    }

    # outlet 0: metadata, settings, state, sensors, switching
    outlet = outlets[0]
    omd = exact(outlet.getMetaData)
    oset = exact(outlet.getSettings)
    state = exact(outlet.getState)
    osens = exact(outlet.getSensors)
    exact(outlet.getIOP)
    out["outlet"] = {
        "rid": outlet.target,
        "type": outlet.idlType,
        "label": omd.label,
        "switchable": omd.isSwitchable,
        "name": oset.name,
        "powerState": val(state.powerState),
    }
    PS = pdumodel.Outlet.PowerState
    out["outlet"]["setOff"] = exact(outlet.setPowerState, PS.PS_OFF)
    after_off = exact(outlet.getState)
    out["outlet"]["stateAfterOff"] = val(after_off.powerState)
    out["outlet"]["powerAfterOff"] = exact(osens.activePower.getReading).value
    out["outlet"]["sensorStateAfterOff"] = exact(osens.outletState.getState).value
    out["outlet"]["setOn"] = exact(outlet.setPowerState, PS.PS_ON)
    out["outlet"]["stateAfterOn"] = val(exact(outlet.getState).powerState)
    out["outlet"]["cycle"] = exact(outlet.cyclePowerState)
    cyc = exact(outlet.getState)
    out["outlet"]["cycling"] = [cyc.cycleInProgress, val(cyc.powerState)]

    # setters with structs encoded by the bindings
    oset.name = "SDK outlet"
    out["outlet"]["setSettings"] = exact(outlet.setSettings, oset)
    out["outlet"]["nameAfterSet"] = exact(outlet.getSettings).name
    settings.name = "SDK rack"
    out["pdu"]["setSettings"] = exact(pdu.setSettings, settings)
    out["pdu"]["nameAfterSet"] = exact(pdu.getSettings).name

    # sensors of outlet 1 (numeric, accumulating, state)
    s1 = exact(outlets[1].getSensors)
    reading = exact(s1.voltage.getReading)
    vmeta = exact(s1.voltage.getMetaData)
    spec = exact(s1.voltage.getTypeSpec)
    thresholds = exact(s1.voltage.getThresholds)
    thresholds.upperWarning = 250.0
    set_thresholds = exact(s1.voltage.setThresholds, thresholds)
    energy = exact(s1.activeEnergy.getReading)
    exact(s1.activeEnergy.getMetaData)
    ostate = exact(s1.outletState.getState)
    ospec = exact(s1.outletState.getTypeSpec)
    out["sensors"] = {
        "voltage": reading.value,
        "voltage_valid": reading.valid,
        "voltage_type": spec.type,
        "voltage_unit": spec.unit,
        "voltage_decdigits": vmeta.decdigits,
        "energy": energy.value,
        "energy_type": s1.activeEnergy.idlType,
        "outletState": ostate.value,
        "outletState_type": [ospec.readingtype, ospec.type],
        "null_refs": sorted(k for k in s1.elements if getattr(s1, k) is None),
        "setThresholds": set_thresholds,
        "upperWarning": exact(s1.voltage.getThresholds).upperWarning,
    }

    # inlet, poles
    inlet = inlets[0]
    exact(inlet.getMetaData)
    exact(inlet.getSettings)
    isens = exact(inlet.getSensors)
    poles = exact(inlet.getPoles)
    out["inlet"] = {
        "power": exact(isens.activePower.getReading).value,
        "poles": [val(p.line) for p in poles],
        "enabled": exact(inlet.isEnabled),
    }

    # breaker + trip sensor
    ocp = ocps[0]
    cmd = exact(ocp.getMetaData)
    exact(ocp.getSettings)
    csens = exact(ocp.getSensors)
    exact(ocp.getPoles)
    trip = exact(csens.trip.getState)
    out["ocp"] = {
        "label": cmd.label,
        "type": val(cmd.type),
        "trip": trip.value,
        "trip_type": csens.trip.idlType,
        "trip_spec": exact(csens.trip.getTypeSpec).type,
        "current": exact(csens.current.getReading).value,
    }

    # peripherals
    dm = exact(pdu.getPeripheralDeviceManager)
    slots = exact(dm.getDeviceSlots)
    exact(dm.getSettings)
    exact(dm.getMetaData)
    exact(dm.getDeviceTypeInfos)
    exact(dm.getDiscoveredPackageInfos)
    discovered = exact(dm.getDiscoveredDevices)
    devices = []
    first_settings = exact(slots[0].getSettings)
    first_settings.description = "set by SDK"
    out["peripherals_set"] = exact(slots[0].setSettings, first_settings)
    for slot in slots[:4]:
        dev = exact(slot.getDevice)
        sset = exact(slot.getSettings)
        if dev is None:
            devices.append(None)
            continue
        typ = dev.deviceID.type
        if typ.readingtype == 0:
            value = exact(dev.device.getReading).value
            exact(dev.device.getMetaData)
        else:
            value = exact(dev.device.getState).value
        devices.append(
            {
                "serial": dev.deviceID.serial,
                "type": typ.type,
                "unit": typ.unit,
                "channel": dev.deviceID.channel,
                "actuator": dev.deviceID.isActuator,
                "name": sset.name,
                "description": sset.description,
                "value": value,
                "deviceType": dev.idlType,
                "sensorType": dev.device.idlType,
            }
        )
    out["peripherals"] = {"slots": len(slots), "discovered": len(discovered), "devices": devices}
    well_known_slot = peripheral.DeviceSlot("/model/peripheraldeviceslot/0", agent)
    out["peripherals"]["wk_slot0_serial"] = exact(well_known_slot.getDevice).deviceID.serial

    # cascade + link unit
    status = exact(cascading.CascadeManager("/cascade", agent).getStatus)
    out["cascade"] = {
        "role": val(status.role),
        "links": {str(k): val(v.status) for k, v in status.linkUnits.items()},
    }
    if status.linkUnits:
        link_id = min(status.linkUnits)
        lpdu = pdumodel.Pdu(f"/model/pdu/{link_id}", agent)
        lmeta = exact(lpdu.getMetaData)
        louts = exact(lpdu.getOutlets)
        lstate = exact(louts[0].getState)
        exact(louts[0].getMetaData)
        lsens = exact(louts[0].getSensors)
        out["link"] = {
            "id": link_id,
            "serial": lmeta.nameplate.serialNumber,
            "mac": lmeta.macAddress,
            "outlets": len(louts),
            "outlet0": louts[0].target,
            "powerState": val(lstate.powerState),
            "power": exact(lsens.activePower.getReading).value,
            "setOff": exact(louts[0].setPowerState, PS.PS_OFF),
            "stateAfterOff": val(exact(louts[0].getState).powerState),
        }
        exact(exact(lpdu.getPeripheralDeviceManager).getDeviceSlots)
        via_link = pdumodel.Pdu(f"/link/{link_id}/model/pdu/0", agent)
        out["link"]["via_link_serial"] = exact(via_link.getMetaData).nameplate.serialNumber

    # firmware, unit
    fw = firmware.Firmware("/firmware", agent)
    out["firmware"] = {"version": exact(fw.getVersion)}
    if hasattr(fw, "getInfo"):
        out["firmware"]["info"] = exact(fw.getInfo).version
    exact(pdumodel.Unit("/model/unit", agent).identify, 3)

    # bulk helper
    bulk = BulkRequestHelper(agent)
    bulk.add_request(pdu.getMetaData)
    bulk.add_request(outlet.getState)
    bulk.add_request(s1.voltage.getReading)
    bulk.add_request(s1.outletState.getState)
    bulk.add_request(outlets[2].setPowerState, PS.PS_OFF)
    bulk.add_request(outlets[2].getState)
    bulk.add_request(slots[-1].getDevice)
    results = bulk.perform_bulk(raise_subreq_failure=True)
    out["bulk"] = {
        "count": len(results),
        "serial": results[0].nameplate.serialNumber,
        "voltage_valid": results[2].valid,
        "set": results[4],
        "stateAfterSet": val(results[5].powerState),
        "emptySlot": results[6],
        "types": [type(r).__name__ for r in results],
    }

    # session login
    sm = session.SessionManager("/session", agent)
    rc, sess, token = exact(sm.newSession)
    token_agent = Agent(
        parsed.scheme, parsed.netloc, disable_certificate_verification=True, timeout=20
    )
    token_agent.set_auth_token(token)
    token_pdu = pdumodel.Pdu("/model/pdu/0", token_agent)
    token_sm = session.SessionManager("/session", token_agent)
    current = exact(token_sm.getCurrentSession)
    out["session"] = {
        "ret": rc,
        "username": sess.username,
        "timeout": sess.timeout,
        "token_len": len(token),
        "serial_with_token": exact(token_pdu.getMetaData).nameplate.serialNumber,
        "current_id": current.sessionId,
        "same_id": current.sessionId == sess.sessionId,
    }
    exact(token_sm.touchCurrentSession, True)
    exact(token_sm.closeCurrentSession, session.SessionManager.CloseReason.CLOSE_REASON_LOGOUT)
    try:
        token_pdu.getMetaData()
        out["session"]["after_close"] = "accepted"
    except raritan.rpc.HttpException as err:
        out["session"]["after_close"] = "401" if "401" in str(err) else str(err)

    # actuator (if present)
    for slot in slots:
        dev = slot.getDevice()
        if dev is not None and dev.deviceID.isActuator:
            switch = dev.device
            assert isinstance(switch, sensors.Switch)
            out["actuator"] = {
                "type": dev.deviceID.type.type,
                "set": exact(switch.setState, 1),
                "state": exact(switch.getState).value,
            }
            break
    out["calls"] = len(CALLS)
    return out


def slot_sweep(url: str, user: str, password: str, accept_gzip: bool = False) -> dict[str, Any]:
    return checked(every_slot, url, user, password, accept_gzip)


def every_slot(url: str, user: str, password: str) -> dict[str, Any]:
    """Every slot of the primary's peripheral device manager, its device and the device's
    sensor, decoded strictly (a topology with more peripherals than the catalogue has)."""
    parsed = urlparse(url)
    agent = Agent(
        parsed.scheme, parsed.netloc, user, password, disable_certificate_verification=True
    )
    dm = exact(pdumodel.Pdu("/model/pdu/0", agent).getPeripheralDeviceManager)
    all_slots = exact(dm.getDeviceSlots)
    discovered = exact(dm.getDiscoveredDevices)
    packages = exact(dm.getDiscoveredPackageInfos)
    devices = []
    for slot in all_slots:
        exact(slot.getSettings)
        dev = exact(slot.getDevice)
        if dev is None:
            continue
        if dev.deviceID.type.readingtype == 0:
            exact(dev.device.getMetaData)
            exact(dev.device.getReading)
        else:
            exact(dev.device.getState)
        devices.append(
            {
                "serial": dev.deviceID.serial,
                "type": dev.deviceID.type.type,
                "position": [[val(p.portType), p.port] for p in dev.position],
            }
        )
    return {
        "slots": len(all_slots),
        "discovered": len(discovered),
        "packages": len(packages),
        "devices": devices,
    }


NOT_READ_ONLY = {"getImageInfo", "getImageStatus", "getCurrentSession"}


def sweep(url: str, user: str, password: str, accept_gzip: bool = False) -> dict[str, Any]:
    return checked(sweep_getters, url, user, password, accept_gzip)


def sweep_getters(url: str, user: str, password: str) -> dict[str, Any]:
    """Call every parameterless ``get*``/``is*`` method of the bindings' proxy classes on one object
    of each kind and check it with :func:`exact`. Returns ``{"checked": [...], "unimplemented":
    [...], "failures": {...}}``; "unimplemented" = the emulator answered -32601."""
    import inspect

    agent = make_agent(url, user, password)
    pdu = pdumodel.Pdu("/model/pdu/0", agent)
    outlets = pdu.getOutlets()
    osens = outlets[0].getSensors()
    ocp = pdu.getOverCurrentProtectors()[0]
    dm = pdu.getPeripheralDeviceManager()
    slots = dm.getDeviceSlots()
    targets: list[Any] = [
        pdu,
        outlets[0],
        pdu.getInlets()[0],
        ocp,
        osens.voltage,
        osens.activeEnergy,
        osens.outletState,
        ocp.getSensors().trip,
        dm,
        slots[0],
        cascading.CascadeManager("/cascade", agent),
        firmware.Firmware("/firmware", agent),
        pdumodel.Unit("/model/unit", agent),
        session.SessionManager("/session", agent),
        sensors.AlertedSensorManager("/model/alertedsensormanager", agent),
        usermgmt.User("/auth/currentUser", agent),
        usermgmt.RoleManager("/auth/role", agent),
    ]
    for slot in slots:
        dev = slot.getDevice()
        if dev is not None and dev.deviceID.isActuator:
            targets.append(dev.device)
            break
    group_manager = pdumodel.OutletGroupManager("/model/outletgroup", agent)
    targets.append(group_manager)
    for group in list(group_manager.getAllGroups().values())[:1]:
        group_sensors = group.getSensors()
        targets += [group, group_sensors.activePower, group_sensors.activeEnergy]
    checked: list[str] = []
    unimplemented: list[str] = []
    failures: dict[str, str] = {}
    for proxy in targets:
        for name in sorted(dir(proxy)):
            method = getattr(proxy, name)
            if not isinstance(method, Interface.Method) or name in NOT_READ_ONLY:
                continue
            if not (name.startswith(("get", "is"))) or inspect.signature(method.encode).parameters:
                continue
            key = f"{TypeInfoName(proxy)}.{name}"
            try:
                exact(method)
                checked.append(key)
            except raritan.rpc.JsonRpcErrorException as err:
                if "-32601" in str(err):
                    unimplemented.append(key)
                else:
                    failures[key] = repr(err)
            except Exception as err:
                failures[key] = f"{type(err).__name__}: {err}"
    return {"checked": checked, "unimplemented": unimplemented, "failures": failures}


def TypeInfoName(proxy: Any) -> str:  # mirrors the bindings naming
    return str(proxy.idlType).split(":")[0]


def struct_elements(paths: list[str]) -> dict[str, list[str] | None]:
    """``{"pdumodel.Outlet.State": [...elements...]}`` for binding struct paths (None: absent)."""
    import importlib

    out: dict[str, Any] = {}
    for path in paths:
        module_name, *names = path.split(".")
        obj: Any = importlib.import_module(f"raritan.rpc.{module_name}")
        for name in names:
            obj = getattr(obj, name, None)
            if obj is None:
                break
        if obj is None:
            out[path] = None
        elif hasattr(obj, "elements"):
            out[path] = list(obj.elements)
        else:  # an interface or value object: its typecode
            out[path] = obj.idlType
    return out


def run_power(url: str, user: str, password: str, accept_gzip: bool = False) -> dict[str, Any]:
    return checked(power_scenario, url, user, password, accept_gzip)


def power_scenario(url: str, user: str, password: str) -> dict[str, Any]:
    """The power features (#9) through the bindings: Pdu/Outlet settings, sequences, load
    shedding, outlet groups. Meant for an emulator with the manual clock (nothing moves on
    between the calls), 4 outlets on the primary, a link unit and at least one outlet group."""
    agent = make_agent(url, user, password)
    PS = pdumodel.Outlet.PowerState
    pdu = pdumodel.Pdu("/model/pdu/0", agent)
    outlets = exact(pdu.getOutlets)
    link_outlets = exact(pdumodel.Pdu("/model/pdu/2", agent).getOutlets)
    out: dict[str, Any] = {}

    # Pdu.Settings and Outlet.Settings: persisted, validated
    settings = exact(pdu.getSettings)
    settings.startupState = pdumodel.Pdu.StartupState.SS_OFF
    settings.powerOnDelay = 4
    settings.inRushGuardDelay = 400
    settings.outletPowerStateSequence = [1, 0, 2, 3]
    out["pdu_set"] = exact(pdu.setSettings, settings)
    after = exact(pdu.getSettings)
    out["pdu_settings"] = [
        val(after.startupState),
        after.powerOnDelay,
        after.inRushGuardDelay,
        after.outletPowerStateSequence,
    ]
    settings.inRushGuardDelay = 5
    out["pdu_set_invalid"] = exact(pdu.setSettings, settings)
    oset = exact(outlets[1].getSettings)
    oset.startupState = pdumodel.Outlet.StartupState.SS_PDUDEF
    oset.sequenceDelay = 1500
    out["outlet_set"] = exact(outlets[1].setSettings, oset)
    oafter = exact(outlets[1].getSettings)
    out["outlet_settings"] = [val(oafter.startupState), oafter.sequenceDelay]
    oset.cycleDelay = 99999
    out["outlet_set_invalid"] = exact(outlets[1].setSettings, oset)

    # sequences (the manual clock stands still: the sequence stays where it is)
    exact(pdu.setAllOutletPowerStates, PS.PS_OFF)
    out["set_all_on"] = exact(pdu.setAllOutletPowerStates, PS.PS_ON)
    seq = exact(pdu.getOutletSequenceState)
    out["sequence"] = [seq.sequenceRunning, seq.nextOutletToSwitch, seq.timeUntilNextSwitch]
    out["sequence"] += [seq.outletsRemaining, seq.cancelableOutletsRemaining]
    exact(pdu.cancelOutletSequence)
    out["after_cancel"] = exact(pdu.getOutletSequenceState).sequenceRunning
    out["set_multiple"] = exact(pdu.setMultipleOutletPowerStates, [2, 3], PS.PS_ON, False)
    out["cycle_multiple"] = exact(pdu.cycleMultipleOutletPowerStates, [3], True)
    out["cycle_all"] = exact(pdu.cycleAllOutletPowerStates)
    seq = exact(pdu.getOutletSequenceState)
    out["cycle_sequence"] = [seq.outletsRemaining, seq.cancelableOutletsRemaining]
    out["cycling"] = exact(outlets[0].getState).cycleInProgress

    # load shedding
    shed_settings = exact(outlets[2].getSettings)
    shed_settings.nonCritical = True
    exact(outlets[2].setSettings, shed_settings)
    exact(pdu.setLoadSheddingActive, True)
    out["shedding"] = exact(pdu.isLoadSheddingActive)
    shed = exact(outlets[2].getState)
    out["shed_state"] = [val(shed.powerState), shed.isLoadShed]
    out["shed_switch_on"] = exact(outlets[2].setPowerState, PS.PS_ON)
    exact(pdu.setLoadSheddingActive, False)

    # outlet groups
    mgr = pdumodel.OutletGroupManager("/model/outletgroup", agent)
    groups = exact(mgr.getAllGroups)
    first = groups[min(groups)]
    meta = exact(first.getMetaData)
    gset = exact(first.getSettings)
    sensors = exact(first.getSensors)
    power = exact(sensors.activePower.getReading)
    exact(sensors.activePower.getMetaData)
    exact(sensors.activeEnergy.getReading)
    out["group"] = {
        "ids": sorted(groups),
        "type": first.idlType,
        "groupId": meta.groupId,
        "name": gset.name,
        "members": [m.target for m in gset.members],
        "power_valid": power.valid,
        "sensor_fields": list(sensors.elements),
        "energy_type": sensors.activeEnergy.idlType,
    }
    if getattr(sensors, "apparentEnergy", None) is not None:
        exact(sensors.apparentPower.getReading)
        exact(sensors.apparentEnergy.getReading)
    rc, created = exact(mgr.createGroup, "SDK group", [outlets[3], link_outlets[1]])
    cset = exact(created.getSettings)
    cset.name = "SDK renamed"
    out["created"] = {
        "ret": rc,
        "members": [m.target for m in cset.members],
        "set": exact(created.setSettings, cset),
        "name": exact(created.getSettings).name,
        "id": exact(created.getMetaData).groupId,
    }
    out["created"]["get"] = exact(mgr.getGroup, out["created"]["id"])[1].target
    out["created"]["get_missing"] = list(exact(mgr.getGroup, 99))
    out["created"]["invalid"] = list(exact(mgr.createGroup, " ", [outlets[0]]))
    out["created"]["switch_off"] = exact(created.setAllOutletPowerStates, PS.PS_OFF)
    out["created"]["cycle"] = exact(created.cycleAllOutletPowerStates)
    out["created"]["delete"] = exact(mgr.deleteGroup, out["created"]["id"])
    out["created"]["delete_again"] = exact(mgr.deleteGroup, out["created"]["id"])
    out["calls"] = len(CALLS)
    return out


def run_events(
    url: str, user: str, password: str, sync: Any, accept_gzip: bool = False
) -> dict[str, Any]:
    def body(*args: str) -> dict[str, Any]:
        with null_valueobjects():
            return events_scenario(*args, sync=sync)

    return checked(body, url, user, password, accept_gzip)


EVENT_CLASSES = [
    pdumodel.Outlet.StateChangedEvent,
    pdumodel.Outlet.PowerControlEvent,
    pdumodel.Outlet.SettingsChangedEvent,
    pdumodel.Pdu.SettingsChangedEvent,
    pdumodel.Pdu.LoadSheddingModeChangedEvent,
    pdumodel.Inlet.SettingsChangedEvent,
    pdumodel.Inlet.EnableStateChangedEvent,
    pdumodel.OverCurrentProtector.SettingsChangedEvent,
    sensors.StateSensor.StateChangedEvent,  # also the breaker's TripStateChangedEvent
    sensors.Switch.SwitchEvent,
    sensors.NumericSensor.StateChangedEvent,
    sensors.NumericSensor.ThresholdsChangedEvent,
    sensors.AccumulatingNumericSensor.ResetEvent,
    sensors.AlertedSensorManager.AlertedSensorsChangedEvent,
    sensors.AlertedSensorManager.MonitoredSensorsChangedEvent,
    pdumodel.OutletGroupManager.GroupCreatedEvent,
    pdumodel.OutletGroupManager.GroupDeletedEvent,
    pdumodel.OutletGroup.SettingsChangedEvent,
    pdumodel.OutletGroup.PowerControlEvent,
    peripheral.DeviceManager.DeviceEvent,  # the base of DeviceAddedEvent and DeviceRemovedEvent
    peripheral.DeviceSlot.DeviceChangedEvent,
    peripheral.DeviceSlot.SettingsChangedEvent,
    cascading.CascadeManager.LinkUnitAddedEvent,
    cascading.CascadeManager.LinkUnitReleasedEvent,
    cascading.CascadeManager.LinkUnitStatusChangedEvent,
]


def events_scenario(url: str, user: str, password: str, sync: Any) -> dict[str, Any]:
    """The event service through the bindings: a channel with its filters, commands over RPC
    that cause every event type, then (``sync("test-api")``) what only the test API causes: a
    breaker trip, a link unit unreachable, a package plugged in, one second of samples. Every
    answer and every event is decoded strictly and re-encoded. Meant for an emulator with the
    manual clock, 8 outlets, 8 peripherals, a link unit (id 2) and an outlet group."""
    agent = make_agent(url, user, password)
    PS = pdumodel.Outlet.PowerState
    out: dict[str, Any] = {}
    service = event.Service("/eventservice", agent)
    channel = exact(service.createChannel)
    out["channel"] = [channel.target, channel.idlType]

    # filters: every type, a source-bound demand, and the cancel variants
    exact(channel.demandEventTypes, EVENT_CLASSES)
    exact(channel.demandEventType, idl.Event)
    exact(channel.cancelEventType, idl.Event)
    pdu = pdumodel.Pdu("/model/pdu/0", agent)
    outlets = exact(pdu.getOutlets)
    voltage = exact(outlets[0].getSensors).voltage
    select = event.Channel.EventSelect(sensors.NumericSensor.ReadingChangedEvent, voltage)
    exact(channel.demandEvents, [select])
    exact(channel.cancelEvents, [select])
    exact(channel.cancelEventTypes, [pdumodel.Outlet.StateChangedEvent])
    exact(channel.demandEventTypes, [pdumodel.Outlet.StateChangedEvent])
    power = exact(outlets[1].getSensors).activePower
    exact(channel.demandEvent, sensors.NumericSensor.ReadingChangedEvent, power)
    exact(channel.cancelEvent, sensors.NumericSensor.ReadingChangedEvent, voltage)
    try:
        channel.subscribe(event.Consumer("/consumer", agent))
        out["subscribe"] = "accepted"
    except raritan.rpc.JsonRpcErrorException as err:
        out["subscribe"] = "-32601" if "-32601" in str(err) else str(err)
    out["empty"] = list(exact(channel.pollEventsNb))

    # commands over RPC
    exact(outlets[1].setPowerState, PS.PS_OFF)
    exact(outlets[2].cyclePowerState)
    oset = exact(outlets[3].getSettings)
    oset.name = "SDK event"
    oset.nonCritical = True
    exact(outlets[3].setSettings, oset)
    settings = exact(pdu.getSettings)
    settings.cycleDelay = 9
    exact(pdu.setSettings, settings)
    exact(pdu.setLoadSheddingActive, True)
    exact(pdu.setLoadSheddingActive, False)
    inlet = exact(pdu.getInlets)[0]
    iset = exact(inlet.getSettings)
    iset.name = "Feed A"
    exact(inlet.setSettings, iset)
    exact(inlet.setEnabled, False)
    exact(inlet.setEnabled, True)
    ocp = exact(pdu.getOverCurrentProtectors)[0]
    cset = exact(ocp.getSettings)
    cset.name = "Left"
    exact(ocp.setSettings, cset)
    osensors = exact(outlets[0].getSensors)
    thresholds = exact(osensors.activePower.getThresholds)
    exact(osensors.activePower.getDefaultThresholds)
    thresholds.upperWarningActive = True
    thresholds.upperWarning = 1.0  # the outlet draws more: WARNED at the next sample
    out["thresholds_set"] = exact(osensors.activePower.setThresholds, thresholds)
    thresholds.lowerWarning = 5.0  # no such threshold on a power sensor
    thresholds.lowerWarningActive = True
    out["thresholds_unsupported"] = exact(osensors.activePower.setThresholds, thresholds)
    exact(osensors.activeEnergy.resetValue)
    dm = exact(pdu.getPeripheralDeviceManager)
    slots = exact(dm.getDeviceSlots)
    sset = exact(slots[1].getSettings)
    sset.description = "SDK"
    exact(slots[1].setSettings, sset)
    switch = exact(slots[7].getDevice).device  # the dry contact
    exact(switch.setState, 1)
    exact(slots[3].unassign)  # the contact closure package leaves
    mgr = pdumodel.OutletGroupManager("/model/outletgroup", agent)
    out["group_created"], group = exact(mgr.createGroup, "SDK group", [outlets[4], outlets[5]])
    gset = exact(group.getSettings)
    gset.name = "SDK group 2"
    exact(group.setSettings, gset)
    exact(group.setAllOutletPowerStates, PS.PS_OFF)
    exact(mgr.deleteGroup, exact(group.getMetaData).groupId)
    cascade = cascading.CascadeManager("/cascade", agent)
    out["link_added"] = exact(cascade.addLinkUnit, 3, "192.0.2.99", "admin", "raritan", "")
    out["link_released"] = exact(cascade.releaseLinkUnit, 3)

    sync("test-api")
    events: list[Any] = []
    more, first = exact(channel.pollEvents, expect=bindings_default_devices)  # queued: at once
    events += first
    while more:
        more, batch = exact(channel.pollEventsNb, expect=bindings_default_devices)
        events += batch
    out["types"] = [e.idlType for e in events]
    out["sources"] = {e.idlType: e.source.target for e in reversed(events) if e.source is not None}
    users = {e.idlType: [e.actUserName, e.actIpAddr] for e in events if hasattr(e, "actUserName")}
    out["users"] = users
    out["destroy"] = exact(service.destroyChannel, channel)
    out["destroy_again"] = exact(service.destroyChannel, channel)
    try:
        channel.pollEventsNb()
        out["after_destroy"] = "accepted"
    except raritan.rpc.HttpException as err:
        out["after_destroy"] = "404" if "404" in str(err) else str(err)
    out["calls"] = len(CALLS)
    return out


def bindings_default_devices(raw: Any) -> Any:
    """``DeviceSlot.DeviceChangedEvent`` with no device on one side: the device sends null (as
    ``getDevice`` of an empty slot does). The 4.4.1 bindings' constructor turns a null
    ``oldDevice`` / ``newDevice`` into an empty ``peripheral.Device()``, so that is what they
    re-encode (the 3.6.0 bindings keep None, see :func:`null_valueobjects`). Only that
    substitution is allowed; everything else must match exactly."""
    try:
        empty = ValueObject.encode(peripheral.Device())
    except TypeError:  # 3.6.0: Device has no defaults, a null device stays None
        return raw
    for item in raw.get("events", []):
        if ".DeviceSlot" in item["type"] and item["type"].endswith(".DeviceChangedEvent:1.0.0"):
            for key in ("oldDevice", "newDevice"):
                if item["value"][key] is None:
                    item["value"][key] = empty
    return raw


@contextlib.contextmanager
def null_valueobjects() -> Iterator[None]:
    """The 3.6.0 bindings decode a null valueobject field to None but cannot encode None back
    (``ValueObject.encode`` reads ``None.idlType``): re-encode None as null, as the IDL mapping
    says a valueobject may be."""
    original = ValueObject.encode

    def encode_or_null(obj: Any) -> Any:
        return None if obj is None else original(obj)

    ValueObject.encode = staticmethod(encode_or_null)  # type: ignore[method-assign]
    try:
        yield
    finally:
        ValueObject.encode = staticmethod(original)  # type: ignore[method-assign]


def _stdin_sync(step: str) -> None:
    """Subprocess mode: let the test process act (``SYNC <step>``), wait for its ``GO``."""
    print(f"SYNC {step}", flush=True)
    if sys.stdin.readline().strip() != "GO":
        raise SystemExit("the test did not answer GO")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "elements":
        print(json.dumps(struct_elements(json.loads(sys.argv[2]))))
        sys.exit(0)
    if "power" in sys.argv[4:]:
        result = run_power(*sys.argv[1:4], accept_gzip="gzip" in sys.argv[4:])
        print(json.dumps(result))
        sys.exit(0)
    if "events" in sys.argv[4:]:
        result = run_events(*sys.argv[1:4], _stdin_sync, accept_gzip="gzip" in sys.argv[4:])
        print(json.dumps(result))
        sys.exit(0)
    options = sys.argv[4:]
    main = sweep if "sweep" in options else slot_sweep if "slots" in options else run
    result = main(sys.argv[1], sys.argv[2], sys.argv[3], accept_gzip="gzip" in options)
    print(json.dumps(result))
