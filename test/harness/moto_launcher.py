#!/usr/bin/env python3
"""Starts moto on loopback with the harness's corrections applied.

moto is the emulator every test talks to, but where it does not do what AWS documents a test could pass
against behaviour AWS does not have. Each correction below is a named, minimal patch that restores one
documented AWS behaviour; `--without <name>` leaves one out so a test can prove the correction matters.

Prints one line `READY port=<port> corrections=<a,b>` on stdout once the server accepts connections.
Exits when stdin closes, so an emulator never outlives the test process that started it, even one that
was killed without a chance to clean up.

Harness-only routes (not AWS):
  GET /_harness/stack-parameters?name=<stack>&region=<region>[&account=<id>]
      {"parameters": {...}}: the parameter values the stack really stores, unmasked. Tests use it to
      prove a secret was not overwritten; DescribeStacks masks NoEcho values, as AWS does.
  GET /_harness/corrections
      {"corrections": [...]}: the corrections applied.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

# Pinned: every correction below was written against moto 5.2.1's source.
EXPECTED_MOTO_VERSION = "5.2.1"
MASK = "****"


# --- the stack's stored parameters, as AWS keeps them ------------------------------------------------------


def _as_parameter_string(value: Any) -> str:
    """CloudFormation parameter values are strings; templates may spell defaults as YAML numbers or lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_parameter_string(v) for v in value)
    return str(value)


def _is_no_echo(parameter_slot: dict[str, Any]) -> bool:
    flag = parameter_slot.get("NoEcho", False)
    return flag is True or str(flag).lower() == "true"


def _template_parameters(template: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(template, dict):
        return {}
    slots = template.get("Parameters") or {}
    return slots if isinstance(slots, dict) else {}


def stored_parameter_values(stack: Any) -> dict[str, str]:
    """The value of each of the stack's parameters: what was passed, else the template's Default.

    Read from the resource map (updated by UpdateStack and by ExecuteChangeSet alike) and its applied
    template, in the string form the caller sent: moto's `resolved_parameters` holds typed values
    (numbers, lists, resolved SSM values) that are not what CloudFormation stores.
    """
    resource_map = stack.resource_map
    passed = resource_map.input_parameters or {}
    values: dict[str, str] = {}
    for key, slot in _template_parameters(resource_map._template).items():
        if key in passed:
            values[key] = _as_parameter_string(passed[key])
        elif isinstance(slot, dict) and "Default" in slot:
            values[key] = _as_parameter_string(slot["Default"])
    return values


# --- corrections ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    name: str
    restores: str
    apply: Callable[[], None]


def _parameter_strings() -> None:
    """DescribeStacks shows each parameter value as the string CloudFormation stores.

    AWS: parameter values are strings; a CommaDelimitedList is shown as "a,b" and an SSM parameter type
    shows the parameter's name, its value going to ResolvedValue (CloudFormation API Reference,
    Parameter). moto 5.2.1 shows its typed `resolved_parameters`: a passed CommaDelimitedList comes back
    as the Python repr "['a', 'b']", a Number as re-printed by Python, an SSM type as the resolved value.
    A caller that writes such a value back would corrupt the parameter.
    """
    from moto.cloudformation.models import Stack

    def parameter_list(self: Stack) -> list[dict[str, Any]]:
        return [
            {"ParameterKey": key, "ParameterValue": value}
            for key, value in stored_parameter_values(self).items()
        ]

    Stack.parameter_list = property(parameter_list)  # type: ignore[method-assign,assignment]


def _noecho_mask() -> None:
    """DescribeStacks and DescribeChangeSet mask NoEcho parameter values as asterisks.

    AWS: "If you use the NoEcho attribute, any parameters marked as NoEcho are masked as asterisks (*****)
    in the output of DescribeStacks" (CloudFormation User Guide, Parameters, NoEcho); DescribeChangeSet
    masks them too. moto 5.2.1's `Stack.parameter_list` compares each *value* with the list of NoEcho
    *keys*, so the secret comes back in clear, and DescribeChangeSet never masks. Masking follows the
    template's NoEcho flag, so a NoEcho parameter that took its Default is masked as well. It wraps
    whatever `parameter_list` is in place, so it composes with `parameter-strings`.
    """
    from moto.cloudformation.models import ChangeSet, Stack

    unmasked_stack_parameters = Stack.parameter_list.fget

    def mask(slots: dict[str, Any], key: str, value: Any) -> Any:
        return MASK if _is_no_echo(slots.get(key) or {}) else value

    def stack_parameter_list(self: Stack) -> list[dict[str, Any]]:
        slots = _template_parameters(self.resource_map._template)
        return [
            {**p, "ParameterValue": mask(slots, p["ParameterKey"], p["ParameterValue"])}
            for p in unmasked_stack_parameters(self)
        ]

    def change_set_parameters(self: ChangeSet) -> dict[str, Any]:
        slots = _template_parameters(self.template_dict)
        return {key: mask(slots, key, value) for key, value in (self.parameters or {}).items()}

    Stack.parameter_list = property(stack_parameter_list)  # type: ignore[method-assign,assignment]
    # DescribeChangeSet serializes the ChangeSet's `parameters` dict; an alias routes it through the mask.
    ChangeSet.Meta = type("Meta", (), {"serialization_aliases": {"Parameters": "masked_parameters"}})  # type: ignore[attr-defined]
    ChangeSet.masked_parameters = property(change_set_parameters)  # type: ignore[attr-defined]


def _previous_defaults() -> None:
    """UsePreviousValue works for every parameter the stack has, including ones that took their Default.

    AWS: UsePreviousValue "uses the existing parameter value that the stack is using"
    (CloudFormation API Reference, Parameter). moto 5.2.1 looks previous values up in `Stack.parameters`,
    which holds only the parameters passed at create (and goes stale after ExecuteChangeSet), so
    UpdateStack answers HTTP 500 KeyError for a defaulted parameter. CreateChangeSet looks them up in
    typed `resolved_parameters` (lists, numbers, resolved SSM values). Both now read the stored strings.
    """
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend, Stack

    original_resolve = CloudFormationBackend._resolve_update_parameters

    def resolve_update_parameters(
        self: CloudFormationBackend, instance: Any, incoming_params: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if not isinstance(instance, Stack):
            return original_resolve(self, instance, incoming_params)
        previous = stored_parameter_values(instance)
        resolved: dict[str, Any] = {}
        for parameter in incoming_params:
            key = parameter["ParameterKey"]
            if parameter.get("UsePreviousValue", False):
                if key not in previous:
                    raise ValidationError(
                        instance.name,
                        message=f"Invalid input for parameter key {key}. Need to specify either usePreviousValue as true or a value for the parameter",
                    )
                resolved[key] = previous[key]
            elif "ParameterValue" in parameter:
                resolved[key] = parameter["ParameterValue"]
        return resolved

    CloudFormationBackend._resolve_update_parameters = resolve_update_parameters  # type: ignore[method-assign]
    # Read by CreateChangeSet (UPDATE) for UsePreviousValue and by the "No updates" check of both calls.
    Stack.stack_parameters = property(stored_parameter_values)  # type: ignore[method-assign,assignment]


CORRECTIONS: dict[str, Correction] = {
    c.name: c
    for c in [
        # Order matters: noecho-mask wraps the parameter list that parameter-strings puts in place.
        Correction("parameter-strings", "DescribeStacks shows parameter values as stored strings", _parameter_strings),
        Correction("noecho-mask", "DescribeStacks/DescribeChangeSet mask NoEcho values", _noecho_mask),
        Correction("previous-defaults", "UsePreviousValue covers defaulted parameters", _previous_defaults),
    ]
}


# --- harness-only routes -------------------------------------------------------------------------------------


class HarnessRoutes:
    """WSGI middleware: answers /_harness/* itself and hands everything else to moto."""

    def __init__(self, moto_app: Any, corrections: list[str]):
        self.moto_app = moto_app
        self.corrections = corrections

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_harness/"):
            return self.moto_app(environ, start_response)
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            status, body = self.route(path, query)
        except Exception as error:  # the side door must answer, never hang a test
            status, body = 500, {"error": f"{type(error).__name__}: {error}"}
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def route(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path == "/_harness/corrections":
            return 200, {"corrections": self.corrections}
        if path == "/_harness/stack-parameters":
            return self.stack_parameters(query)
        return 404, {"error": f"no harness route {path}"}

    def stack_parameters(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        from moto.cloudformation.models import cloudformation_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        name = query.get("name")
        if not name:
            return 400, {"error": "name is required"}
        backend = cloudformation_backends[query.get("account", DEFAULT_ACCOUNT_ID)][
            query.get("region", "us-east-1")
        ]
        for stack in backend.stacks.values():
            if name in (stack.name, stack.stack_id):
                return 200, {"parameters": stored_parameter_values(stack)}
        # As in DescribeStacks: a deleted stack is found by its id only.
        deleted = backend.deleted_stacks.get(name)
        if deleted is not None:
            return 200, {"parameters": stored_parameter_values(deleted)}
        return 404, {"error": f"no stack {name}"}


# --- main ----------------------------------------------------------------------------------------------------


def _exit_when_stdin_closes() -> None:
    """The parent holds our stdin open; when it dies, however it dies, the pipe closes and so do we."""

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=sorted(CORRECTIONS),
        help="leave one correction out (repeatable), to see plain moto's behaviour",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.add_argument(
        "--no-stdin-watch", action="store_true", help="keep running when stdin closes (manual use)"
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = parse_args(argv)

    import moto

    if moto.__version__ != EXPECTED_MOTO_VERSION:
        sys.exit(f"moto {EXPECTED_MOTO_VERSION} is required, found {moto.__version__}: re-check the corrections")

    applied = [name for name in CORRECTIONS if name not in args.without]
    for name in applied:
        CORRECTIONS[name].apply()

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    app = HarnessRoutes(DomainDispatcherApplication(create_backend_app), applied)
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    # moto builds some URLs (e.g. for Lambda) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(server.server_port)
    if not args.no_stdin_watch:
        _exit_when_stdin_closes()
    print(f"READY port={server.server_port} corrections={','.join(applied)}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
