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
  GET /_harness/config, POST /_harness/config {"inServiceDelayMs": 1500, ...}
      The harness's timings (see HarnessConfig); POST changes the keys given and answers the result.
      /moto-api/reset restores the timings the launcher was started with.
  GET /_harness/ecs-agent
      What the fake ECS agent sees: clusters, container instances and the services' tasks.
  GET /_harness/rollback-triggers?changeSet=<arn>&region=<region>[&account=<id>]
      {"configuration": {...}, "firing": [...], "missing": [...], "reason": "..."}: the rollback configuration an
      execute of the change set runs with and which of its alarms would roll it back now (rollback-triggers).
  POST /_harness/console-host-keys {"instanceId": "i-…", "publicKeys": ["ssh-ed25519 AAAA…"], "region": "…"}
      Gives an instance the SSH host keys a test chooses; GetConsoleOutput then prints their fingerprints as
      cloud-init does (console-host-keys). Answers {"fingerprints": [...]}, the lines printed.

Things AWS does over time (an instance coming into service, ECS placing and moving tasks) are played
by a clock: every request first brings them up to date, and a ticker does so between requests, so a
test polling the API sees them happen. Requests to moto are served one at a time: moto is not
thread-safe and the clock changes its state.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import threading
import time
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


def call_template(response: Any) -> dict[str, Any] | None:
    """The template a CreateStack, UpdateStack or CreateChangeSet call names: its body, its URL or the stack's own."""
    from moto.cloudformation.models import Stack

    if response._get_bool_param("UsePreviousTemplate", False):
        body = response.cloudformation_backend.get_stack(response._get_param("StackName")).template
    elif response._get_param("TemplateURL"):
        body = response._get_stack_from_s3_url(response._get_param("TemplateURL"))
    else:
        body = response._get_param("TemplateBody")
    try:
        parsed = Stack.parse_template(body)
    except Exception:  # moto's own call reports a template it cannot read
        return None
    return parsed if isinstance(parsed, dict) else None


# --- the harness's clock and timings -------------------------------------------------------------------------

# One request at a time, and the clock never in the middle of one: moto's models are plain Python objects.
MOTO_LOCK = threading.RLock()


class HarnessConfig:
    """Timings of what takes time on AWS, in milliseconds; set at launch, changed over HTTP by tests."""

    DEFAULTS = {
        # How long a newly launched group instance stays Pending before it is InService.
        "inServiceDelayMs": 0,
        # How long a task the fake ECS agent places stays PENDING before it is RUNNING.
        "ecsTaskStartMs": 500,
        # How often the clock runs between requests.
        "tickMs": 100,
    }

    def __init__(self) -> None:
        self.initial = dict(self.DEFAULTS)
        self.values = dict(self.DEFAULTS)

    def launch_with(self, values: dict[str, int]) -> None:
        self.initial = {**self.initial, **values}
        self.values = dict(self.initial)

    def update(self, changes: Any) -> dict[str, int]:
        if not isinstance(changes, dict):
            raise ValueError("expected a JSON object")
        for key, value in changes.items():
            if key not in self.DEFAULTS:
                raise ValueError(f"unknown setting {key}; known: {', '.join(self.DEFAULTS)}")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{key} must be a whole number of milliseconds, not {value!r}")
        self.values.update(changes)
        return dict(self.values)

    def restore(self) -> None:
        self.values = dict(self.initial)

    def seconds(self, key: str) -> float:
        return self.values[key] / 1000.0


CONFIG = HarnessConfig()

# What the corrections play over time: each is called with time.monotonic(), under MOTO_LOCK.
TICKERS: list[Callable[[float], None]] = []


def run_clock() -> None:
    with MOTO_LOCK:
        now = time.monotonic()
        for tick in TICKERS:
            try:
                tick(now)
            except Exception as error:  # a failed tick must neither stop the clock nor fail a request
                print(f"harness clock: {type(error).__name__}: {error}", file=sys.stderr, flush=True)


def _start_ticker() -> None:
    def loop() -> None:
        while True:
            time.sleep(max(CONFIG.seconds("tickMs"), 0.01))
            run_clock()

    threading.Thread(target=loop, daemon=True, name="harness-clock").start()


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


def _empty_parameters() -> None:
    """An update's Parameters list is all the values the stack gets: an omitted parameter takes its Default.

    AWS: "If you don't specify a key and value for a particular parameter, CloudFormation uses the default
    value that's specified in your template" (CloudFormation API Reference, Parameter). So an UpdateStack,
    or an UPDATE change set then executed, whose Parameters list is empty reverts every parameter to its
    Default, UsePreviousTemplate or not; a parameter with no Default that is neither given nor
    UsePreviousValue fails the call: ValidationError "Parameters: [Password] must have values". A call that
    changes nothing that way is "No updates are to be performed." (a change set: FAILED, no changes).
    moto 5.2.1 keeps every previous value when the list is empty (`ResourceMap.update`:
    `if parameters: self.input_parameters = parameters`); a required parameter missing from a longer list
    fails only halfway through applying the update (MissingParameterError); and whether a change set has
    changes is judged against the parameters passed at create, not the stored values.
    UsePreviousValue is untouched: `previous-defaults` resolves it before any of this.
    """
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import Stack
    from moto.cloudformation.parsing import ResourceMap
    from moto.cloudformation.responses import CloudFormationResponse

    applying_update = ResourceMap.update

    def update(self: ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        if parameters is not None and not parameters:
            self.input_parameters = {}
        applying_update(self, template, parameters)

    def values_with_defaults(template: dict[str, Any], given: dict[str, Any]) -> dict[str, str]:
        values: dict[str, str] = {}
        for key, slot in _template_parameters(template).items():
            if key in given:
                values[key] = _as_parameter_string(given[key])
            elif isinstance(slot, dict) and "Default" in slot:
                values[key] = _as_parameter_string(slot["Default"])
        return values

    def has_parameters(self: Stack, other_parameters: dict[str, Any]) -> bool:
        # Asked only once the template is known to be the stack's own (CreateChangeSet's "no changes" check).
        return values_with_defaults(self.template_dict, other_parameters) == stored_parameter_values(self)

    def check_update(response: CloudFormationResponse, update_stack: bool) -> None:
        template = call_template(response)
        if template is None:
            return
        incoming = response._get_param("Parameters", []) or []
        given = {p.get("ParameterKey") for p in incoming}
        missing = [
            key
            for key, slot in _template_parameters(template).items()
            if key not in given and not (isinstance(slot, dict) and "Default" in slot)
        ]
        if missing:
            raise ValidationError(message=f"Parameters: [{', '.join(missing)}] must have values")
        if not update_stack or incoming:
            return  # moto's own checks judge a non-empty list; CreateChangeSet's goes through has_parameters
        stack = response.cloudformation_backend.get_stack(response._get_param("StackName"))
        if Stack.parse_template(stack.template) == template and values_with_defaults(template, {}) == stored_parameter_values(stack):
            raise ValidationError(stack.name, message="No updates are to be performed.")

    update_stack = CloudFormationResponse.update_stack
    create_change_set = CloudFormationResponse.create_change_set

    def checked_update_stack(self: CloudFormationResponse) -> Any:
        check_update(self, update_stack=True)
        return update_stack(self)

    def checked_create_change_set(self: CloudFormationResponse) -> Any:
        if self._get_param("ChangeSetType") == "UPDATE":
            check_update(self, update_stack=False)
        return create_change_set(self)

    ResourceMap.update = update  # type: ignore[method-assign]
    Stack.has_parameters = has_parameters  # type: ignore[method-assign]
    CloudFormationResponse.update_stack = checked_update_stack  # type: ignore[method-assign]
    CloudFormationResponse.create_change_set = checked_create_change_set  # type: ignore[method-assign]


# --- stack updates: what CloudFormation updates, and how --------------------------------------------------------


def _referenced_resources(node: Any) -> set[str]:
    """Logical ids a template fragment points at: Ref, Fn::GetAtt and ${Name} / ${Name.Attr} in Fn::Sub."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value.split(".")[0] if isinstance(value, str) else value[0]
                if isinstance(target, str):
                    found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    found.update(name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text))
                found.update(_referenced_resources(value[1] if isinstance(value, list) else None))
            else:
                found.update(_referenced_resources(value))
    elif isinstance(node, list):
        for item in node:
            found.update(_referenced_resources(item))
    return found


def _resolved_properties(resource_map: Any, logical_id: str) -> Any:
    """The resource's properties with intrinsic functions resolved, as CloudFormation compares them."""
    from moto.cloudformation.parsing import clean_json

    resource_json = resource_map._resource_json_map.get(logical_id) or {}
    try:
        return clean_json(resource_json.get("Properties") or {}, resource_map)
    except Exception:  # unresolvable on moto (an attribute it lacks): compare nothing, change nothing
        return None


def _stack_update_dependents() -> None:
    """A stack update updates every resource whose properties change once intrinsic functions resolve.

    AWS: CloudFormation updates a resource when its properties in the updated template differ from the
    current ones, references included: a group whose `LaunchTemplate.Version` is
    `!GetAtt LaunchTemplate.LatestVersionNumber` is updated to the new version when the launch template
    gets one ("Update behaviors of stack resources", CloudFormation User Guide; AWS::EC2::LaunchTemplate,
    return values; AWS::AutoScaling::AutoScalingGroup LaunchTemplateSpecification). moto 5.2.1 compares
    only the unresolved JSON and the parameters a resource Refs directly, so the group stays on launch
    template version 1, a service stays on a replaced task definition, and a resource whose Condition
    input changed (a security group's `!If [HasKey, …]`) is not updated.

    After moto's own update, resources it left alone are compared by their resolved properties before
    and after, and each that changed is updated, those it depends on first.
    """
    from moto.cloudformation.parsing import ResourceMap, parse_and_update_resource

    original_update = ResourceMap.update

    def update(self: ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        planned = self.build_resource_diff(template, parameters)
        already = {name for names in planned.values() for name in names}
        before = {
            name: _resolved_properties(self, name)
            for name in self._resource_json_map
            if name not in already and self._parsed_resources.get(name) is not None
        }
        original_update(self, template, parameters)
        _update_changed(self, before)

    def _update_changed(self: ResourceMap, before: dict[str, Any]) -> None:
        pending = {name for name, props in before.items() if props is not None and name in self._resource_json_map}
        while pending:
            changed = {name for name in pending if _resolved_properties(self, name) != before[name]}
            # Dependencies first: a resource waits while something it references is still to be updated.
            ready = sorted(
                name for name in changed
                if not (_referenced_resources(self._resource_json_map[name]) & (changed - {name}))
            )
            if not ready:
                return
            for name in ready:
                updated = parse_and_update_resource(
                    name, self._resource_json_map[name], self, account_id=self._account_id, region_name=self._region_name
                )
                if updated is not None:
                    self._parsed_resources[name] = updated
            # Those unchanged so far stay: they may change through what was just updated.
            pending -= set(ready)

    ResourceMap.update = update  # type: ignore[method-assign]


def _group_update_in_place() -> None:
    """CloudFormation updates an auto-scaling group in place, keeping its name and its instances.

    AWS: changing LaunchTemplate, MinSize, MaxSize, DesiredCapacity or VPCZoneIdentifier of an
    AWS::AutoScaling::AutoScalingGroup is an update with no interruption; only AutoScalingGroupName
    requires replacement; without an UpdatePolicy the running instances are left as they are
    (CloudFormation User Guide, AWS::AutoScaling::AutoScalingGroup and UpdatePolicy attribute). moto 5.2.1
    deletes the group and creates one under a new generated name, terminating every instance.

    Only the properties whose resolved values changed since the last create or update are applied, as
    CloudFormation does, so a desired capacity set through the API stays unless the template's changes.
    """
    from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends, make_int

    original_create = FakeAutoScalingGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    original_update = FakeAutoScalingGroup.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Any:
        group = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        group.harness_cfn_properties = dict(cloudformation_json["Properties"])
        return group

    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        properties = cloudformation_json["Properties"]
        name = properties.get("AutoScalingGroupName")
        if name is not None and name != original_resource.name:
            return original_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        previous = getattr(original_resource, "harness_cfn_properties", {})

        def changed(key: str) -> Any:
            return properties.get(key) if properties.get(key) != previous.get(key) else None

        subnets = changed("VPCZoneIdentifier")
        autoscaling_backends[account_id][region_name].update_auto_scaling_group(
            name=original_resource.name,
            availability_zones=changed("AvailabilityZones") or [],
            desired_capacity=make_int(changed("DesiredCapacity")),
            max_size=make_int(changed("MaxSize")),
            min_size=make_int(changed("MinSize")),
            launch_config_name=properties.get("LaunchConfigurationName"),
            launch_template=properties.get("LaunchTemplate") or {},
            vpc_zone_identifier=",".join(subnets) if subnets else None,  # type: ignore[arg-type]
            health_check_period=make_int(changed("HealthCheckGracePeriod")),  # type: ignore[arg-type]
            health_check_type=changed("HealthCheckType"),
            new_instances_protected_from_scale_in=changed("NewInstancesProtectedFromScaleIn"),
            mixed_instances_policy=properties.get("MixedInstancesPolicy") or None,
        )
        original_resource.harness_cfn_properties = dict(properties)
        return original_resource

    FakeAutoScalingGroup.create_from_cloudformation_json = classmethod(create)  # type: ignore[method-assign,assignment]
    FakeAutoScalingGroup.update_from_cloudformation_json = classmethod(update)  # type: ignore[method-assign,assignment]


def _security_group_update() -> None:
    """CloudFormation updates a security group's rules and tags in place, keeping its id.

    AWS: changing SecurityGroupIngress, SecurityGroupEgress or Tags of an AWS::EC2::SecurityGroup is an
    update with no interruption; GroupDescription, GroupName and VpcId require replacement
    (CloudFormation User Guide, AWS::EC2::SecurityGroup). moto 5.2.1 deletes the group and creates a new
    one, so a launch template updated in the same stack update keeps pointing at the deleted group.
    Needed once `stack-update-dependents` updates a group whose `!If` condition changed.
    """
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.security_groups import SecurityGroup

    original_update = SecurityGroup.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        properties = cloudformation_json["Properties"]
        replaced = (
            properties.get("GroupDescription") != original_resource.description
            or properties.get("VpcId") != original_resource.vpc_id
            or properties.get("GroupName", original_resource.name) != original_resource.name
        )
        if replaced:
            return original_update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        backend = ec2_backends[account_id][region_name]
        original_resource.ingress_rules = []
        for rule in properties.get("SecurityGroupIngress") or []:
            source = {k: v for k, v in (("GroupId", rule.get("SourceSecurityGroupId")), ("GroupName", rule.get("SourceSecurityGroupName"))) if v}
            backend.authorize_security_group_ingress(
                group_name_or_id=original_resource.id,
                ip_protocol=rule["IpProtocol"],
                from_port=rule.get("FromPort"),
                to_port=rule.get("ToPort"),
                ip_ranges=rule.get("CidrIp", []),
                source_groups=[source] if source else [],
                vpc_id=original_resource.vpc_id,
            )
        for tag in properties.get("Tags") or []:
            original_resource.add_tag(tag["Key"], tag["Value"])
        return original_resource

    SecurityGroup.update_from_cloudformation_json = classmethod(update)  # type: ignore[method-assign,assignment]


def _task_definition_update() -> None:
    """An updated ECS task definition is a new revision with the template's container definitions.

    AWS: updating an AWS::ECS::TaskDefinition replaces it: a new revision of the family holding the new
    properties, the old revision deregistered (CloudFormation User Guide, AWS::ECS::TaskDefinition).
    moto 5.2.1's create maps the template's PascalCase keys (Name, Image, Environment) to the API's
    camelCase, but its update does not: every revision after the first comes out with no name, image or
    environment, and is always a new revision even when nothing changed.
    """
    from moto.core.utils import pascal_to_camelcase, remap_nested_keys
    from moto.ecs.models import TaskDefinition, ecs_backends

    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        properties = cloudformation_json["Properties"]
        backend = ecs_backends[account_id][region_name]
        revision = backend.register_task_definition(
            family=properties.get("Family", original_resource.family),
            container_definitions=remap_nested_keys(properties.get("ContainerDefinitions", []), pascal_to_camelcase),
            volumes=remap_nested_keys(properties.get("Volumes", []), pascal_to_camelcase),
            memory=properties.get("Memory"),
        )
        backend.deregister_task_definition(original_resource.arn)
        return revision

    TaskDefinition.update_from_cloudformation_json = classmethod(update)  # type: ignore[method-assign,assignment]


def _log_group_update() -> None:
    """CloudFormation updates a log group's retention and tags in place.

    AWS: changing RetentionInDays or Tags of an AWS::Logs::LogGroup is an update with no interruption;
    LogGroupName requires replacement (CloudFormation User Guide, AWS::Logs::LogGroup). moto 5.2.1 has no
    update for it: the stack forgets the resource (DescribeStackResources shows no physical id) while the
    log group stays with its old retention.
    """
    from moto.logs.models import LogGroup, logs_backends

    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        properties = cloudformation_json["Properties"]
        backend = logs_backends[account_id][region_name]
        name = properties.get("LogGroupName")
        if name is not None and name != original_resource.name:
            replacement = LogGroup.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)
            backend.delete_log_group(original_resource.name)
            return replacement
        retention = properties.get("RetentionInDays")
        original_resource.set_retention_policy(int(retention) if retention is not None else None)
        tags = {tag["Key"]: tag["Value"] for tag in properties.get("Tags") or []}
        if tags:
            backend.tag_resource(original_resource.arn, tags)
        return original_resource

    LogGroup.update_from_cloudformation_json = classmethod(update)  # type: ignore[method-assign,assignment]


# --- stack deletion: every resource, dependents first ----------------------------------------------------------


class StackDeleteFailed(Exception):
    """Resources that could not be deleted, by logical id: the stack stays, DELETE_FAILED."""

    def __init__(self, failures: dict[str, str]):
        super().__init__(f"The following resource(s) failed to delete: [{', '.join(sorted(failures))}]. ")
        self.failures = failures


def _depends_on(resource_json: dict[str, Any]) -> set[str]:
    named = resource_json.get("DependsOn") or []
    return {named} if isinstance(named, str) else set(named)


def _deletion_needs(resource_map: Any, names: set[str]) -> dict[str, set[str]]:
    """For each resource, the others it points at or DependsOn: each must outlive it."""
    return {
        name: (_referenced_resources(resource_map._resource_json_map[name]) | _depends_on(resource_map._resource_json_map[name])) & names - {name}
        for name in names
    }


def _resource_event(stack: Any, name: str, resource: Any, resource_type: str, status: str, reason: str | None = None) -> None:
    from moto.cloudformation.models import Event

    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=name,
            physical_resource_id=getattr(resource, "physical_resource_id", None) or "",
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


def delete_stack_resources(stack: Any) -> None:
    """Deletes the stack's resources as CloudFormation does, dependents first; raises StackDeleteFailed.

    A resource is deleted once nothing left in the stack depends on it; one that fails stays, and so does
    everything it depends on, while independent branches go on. Retained resources are skipped.
    """
    resource_map = stack.resource_map
    templates = resource_map._resource_json_map
    remaining: set[str] = set()
    for name, resource_json in templates.items():
        parsed = resource_map._parsed_resources.get(name)
        if parsed is None or isinstance(parsed, str):
            continue  # never created (a false Condition) or not a resource
        if resource_json.get("DeletionPolicy") == "Retain":
            _resource_event(stack, name, parsed, resource_json["Type"], "DELETE_SKIPPED")
            continue
        remaining.add(name)
    needs = _deletion_needs(resource_map, remaining)
    failures: dict[str, str] = {}
    while True:
        ready = sorted(
            name for name in remaining - set(failures)
            if not any(name in needs[other] for other in remaining if other != name)
        )
        if not ready:
            break
        for name in ready:
            parsed = resource_map._parsed_resources[name]
            resource_type = templates[name]["Type"]
            _resource_event(stack, name, parsed, resource_type, "DELETE_IN_PROGRESS")
            try:
                resource_map._delete_resource(parsed, templates[name])
            except Exception as error:  # AWS: the resource's DELETE_FAILED and the reason, then the stack's
                failures[name] = getattr(error, "message", None) or str(error)
                _resource_event(stack, name, parsed, resource_type, "DELETE_FAILED", failures[name])
                continue
            resource_map._parsed_resources.pop(name)
            remaining.discard(name)
            _resource_event(stack, name, parsed, resource_type, "DELETE_COMPLETE")
    if failures:
        raise StackDeleteFailed(failures)


def _missing_resource_deletes() -> None:
    """What CloudFormation does to delete each resource type the rack templates use and moto 5.2.1 skips."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.subnets import SubnetRouteTableAssociation
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
    from moto.ecs.models import Cluster, Service, TaskDefinition, ecs_backends
    from moto.kms.models import Key, kms_backends
    from moto.s3.exceptions import BucketNotEmpty, MissingBucket
    from moto.s3.models import FakeBucket, s3_backends
    from moto.utilities.utils import get_partition

    def delete_route_table(self: RouteTable, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].delete_route_table(self.id)

    def delete_route(self: Route, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].delete_route(
            self.route_table.id,
            self.destination_cidr_block,  # type: ignore[arg-type]
            self.destination_ipv6_cidr_block,
            self.destination_prefix_list.id if self.destination_prefix_list else None,
        )

    def delete_association(self: SubnetRouteTableAssociation, account_id: str, region_name: str) -> None:
        backend = ec2_backends[account_id][region_name]
        backend.subnet_associations.pop(f"{self.route_table_id}:{self.subnet_id}", None)
        table = backend.route_tables.get(self.route_table_id)
        if table is not None:
            for association_id, subnet_id in list(table._associations.items()):
                if subnet_id == self.subnet_id:
                    del table._associations[association_id]

    def delete_attachment(self: VPCGatewayAttachment, account_id: str, region_name: str) -> None:
        backend = ec2_backends[account_id][region_name]
        if str(self.gateway_id).startswith("vgw-"):
            backend.detach_vpn_gateway(self.gateway_id, self.vpc_id)
        else:
            backend.detach_internet_gateway(self.gateway_id, self.vpc_id)

    def delete_internet_gateway(self: InternetGateway, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].delete_internet_gateway(self.id)

    def delete_service(self: Service, account_id: str, region_name: str) -> None:
        # CloudFormation scales the service to zero and deletes it; its tasks stop.
        ecs_backends[account_id][region_name].delete_service(self.cluster_name, self.name, force=True)

    def delete_cluster(self: Cluster, account_id: str, region_name: str) -> None:
        ecs_backends[account_id][region_name].delete_cluster(self.name)

    def delete_task_definition(self: TaskDefinition, account_id: str, region_name: str) -> None:
        ecs_backends[account_id][region_name].deregister_task_definition(self.arn)

    original_key_create = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_key(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any) -> Any:
        key = original_key_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        key.harness_pending_window_in_days = int(cloudformation_json["Properties"].get("PendingWindowInDays", 30))
        return key

    def schedule_key_deletion(self: Key, account_id: str, region_name: str) -> None:
        days = getattr(self, "harness_pending_window_in_days", 30)
        kms_backends[account_id][region_name].schedule_key_deletion(self.id, days)

    def delete_bucket(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str) -> None:
        backend = s3_backends[account_id][get_partition(region_name)]
        try:
            bucket = backend.get_bucket(resource_name)
        except MissingBucket:
            return  # already gone: CloudFormation counts that as deleted
        if bucket.keys:
            raise BucketNotEmpty(resource_name)
        backend.delete_bucket(resource_name)

    RouteTable.delete = delete_route_table  # type: ignore[attr-defined]
    Route.delete = delete_route  # type: ignore[attr-defined]
    SubnetRouteTableAssociation.delete = delete_association  # type: ignore[attr-defined]
    VPCGatewayAttachment.delete = delete_attachment  # type: ignore[attr-defined]
    InternetGateway.delete = delete_internet_gateway  # type: ignore[attr-defined]
    Service.delete = delete_service  # type: ignore[attr-defined]
    Cluster.delete = delete_cluster  # type: ignore[attr-defined]
    TaskDefinition.delete = delete_task_definition  # type: ignore[attr-defined]
    Key.create_from_cloudformation_json = classmethod(create_key)  # type: ignore[method-assign,assignment]
    Key.delete = schedule_key_deletion  # type: ignore[method-assign]
    FakeBucket.delete_from_cloudformation_json = classmethod(delete_bucket)  # type: ignore[method-assign,assignment]


def _stack_delete_resources() -> None:
    """DeleteStack deletes every resource of the stack, dependents first, or leaves it DELETE_FAILED.

    AWS: "CloudFormation deletes the stack and all of its resources" in reverse dependency order
    (CloudFormation User Guide, "Delete a stack"); a resource that cannot be deleted (a bucket that is not
    empty) makes it DELETE_FAILED, the stack staying with what is left, and DeleteStack may be called
    again. A KMS key is scheduled for deletion (PendingWindowInDays, 30 by default); an ECS service is
    scaled in and deleted, its task definition deregistered. moto 5.2.1 has no delete for
    AWS::EC2::RouteTable, Route, SubnetRouteTableAssociation, VPCGatewayAttachment, InternetGateway or
    AWS::ECS::Cluster, Service, TaskDefinition, so the VPC's deletion fails with DependencyViolation:
    DeleteStack answers that error and the stack vanishes with its resources half deleted. It deletes a
    non-empty bucket's resource without deleting the bucket, and deletes a KMS key outright.
    """
    from moto.cloudformation.models import CloudFormationBackend, Stack

    _missing_resource_deletes()
    _production_template_deletes()
    original_delete_stack = CloudFormationBackend.delete_stack

    def delete(self: Stack) -> None:
        self._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        self.status = "DELETE_IN_PROGRESS"
        try:
            delete_stack_resources(self)
        except StackDeleteFailed as failed:
            self.status = "DELETE_FAILED"
            self._add_stack_event("DELETE_FAILED", resource_status_reason=str(failed))
            raise
        self._add_stack_event("DELETE_COMPLETE")
        self.status = "DELETE_COMPLETE"

    def delete_stack(self: CloudFormationBackend, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None
        )
        if stack is None:
            return original_delete_stack(self, name_or_stack_id)
        try:
            original_delete_stack(self, stack.stack_id)
        except StackDeleteFailed:
            # DeleteStack itself succeeds on AWS: the failure shows in the stack's status and events.
            self.stacks[stack.stack_id] = stack

    Stack.delete = delete  # type: ignore[method-assign]
    CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign]


# --- capabilities --------------------------------------------------------------------------------------------

IAM_RESOURCE_NAMES = {
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::UserToGroupAddition": None,
}


def required_capability(template: dict[str, Any]) -> str | None:
    """CAPABILITY_NAMED_IAM if an IAM resource is given a name, CAPABILITY_IAM if there is one at all."""
    needed = None
    for resource in (template.get("Resources") or {}).values():
        if not isinstance(resource, dict) or resource.get("Type") not in IAM_RESOURCE_NAMES:
            continue
        name_property = IAM_RESOURCE_NAMES[resource["Type"]]
        if name_property is not None and name_property in (resource.get("Properties") or {}):
            return "CAPABILITY_NAMED_IAM"
        needed = "CAPABILITY_IAM"
    return needed


def _iam_capability() -> None:
    """A template with IAM resources needs the caller to acknowledge them with a capability.

    AWS: "If your template includes IAM resources, you must specify either CAPABILITY_IAM or
    CAPABILITY_NAMED_IAM; if you have IAM resources with custom names, you must specify
    CAPABILITY_NAMED_IAM", else CreateStack, UpdateStack and CreateChangeSet fail with
    InsufficientCapabilitiesException "Requires capabilities : [CAPABILITY_IAM]" (CloudFormation API
    Reference, CreateStack/UpdateStack/CreateChangeSet, Capabilities). This holds for an update with
    UsePreviousTemplate too. moto 5.2.1 ignores Capabilities.
    """
    from moto.cloudformation.exceptions import CloudFormationError
    from moto.cloudformation.responses import CloudFormationResponse

    class InsufficientCapabilities(CloudFormationError):
        code = "InsufficientCapabilitiesException"

    def checked(action: Callable[[CloudFormationResponse], Any]) -> Callable[[CloudFormationResponse], Any]:
        def check_then_act(self: CloudFormationResponse) -> Any:
            template = call_template(self)
            needed = required_capability(template) if template is not None else None
            given = set(self._get_param("Capabilities", []) or [])
            if needed == "CAPABILITY_IAM" and not given & {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}:
                raise InsufficientCapabilities(f"Requires capabilities : [{needed}]")
            if needed == "CAPABILITY_NAMED_IAM" and "CAPABILITY_NAMED_IAM" not in given:
                raise InsufficientCapabilities(f"Requires capabilities : [{needed}]")
            return action(self)

        return check_then_act

    CloudFormationResponse.create_stack = checked(CloudFormationResponse.create_stack)  # type: ignore[method-assign]
    CloudFormationResponse.update_stack = checked(CloudFormationResponse.update_stack)  # type: ignore[method-assign]
    CloudFormationResponse.create_change_set = checked(CloudFormationResponse.create_change_set)  # type: ignore[method-assign]


# --- change sets: each belongs to its stack ---------------------------------------------------------------------


def stack_named(backend: Any, name_or_id: str | None) -> Any:
    """The stack a StackName names, as CloudFormation resolves it: a live stack by name or id, a deleted one by id."""
    from moto.cloudformation.exceptions import ValidationError

    for stack in backend.stacks.values():
        if name_or_id in (stack.name, stack.stack_id):
            return stack
    deleted = backend.deleted_stacks.get(name_or_id)
    if deleted is not None:
        return deleted
    raise ValidationError(message=f"Stack [{name_or_id}] does not exist")


def change_sets_of(backend: Any, stack: Any) -> list[Any]:
    return [c for c in backend.change_sets.values() if c.stack_id == stack.stack_id]


def _list_change_sets_by_stack() -> None:
    """ListChangeSets lists the change sets of the stack it names, and only those.

    AWS: ListChangeSets "Returns the ID and status of each active change set for a stack"; StackName
    ("the name or the Amazon Resource Name (ARN) of the stack for which you want to list change sets")
    is required, and each ChangeSetSummary carries StackId, StackName, ChangeSetId, ChangeSetName,
    ExecutionStatus, Status, StatusReason, CreationTime and Description (CloudFormation API Reference,
    ListChangeSets, ChangeSetSummary). A stack that does not exist is a ValidationError "Stack [name] does
    not exist". moto 5.2.1 ignores StackName and lists every change set of the region, other stacks'
    included, and answers an empty list for a stack that does not exist.
    """
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    def list_change_sets(self: CloudFormationResponse) -> ActionResult:
        backend = self.cloudformation_backend
        stack = stack_named(backend, self._get_param("StackName"))
        return ActionResult({"Summaries": change_sets_of(backend, stack)})

    CloudFormationResponse.list_change_sets = list_change_sets  # type: ignore[method-assign]


def _change_set_lookup() -> None:
    """A change set named by its name is looked up among its stack's; one that does not exist is ChangeSetNotFound.

    AWS: change set names are unique per stack; DescribeChangeSet, ExecuteChangeSet and DeleteChangeSet
    take the change set's ARN, or its name with the StackName "associated with it" (CloudFormation API
    Reference); a name without StackName is a ValidationError "StackName must be specified if
    ChangeSetName is not specified as an ARN."; a change set that does not exist is ChangeSetNotFound
    (HTTP 404) "ChangeSet [name] does not exist" for DescribeChangeSet and ExecuteChangeSet, while
    DeleteChangeSet of one that is gone succeeds (its only documented error is InvalidChangeSetStatus).
    moto 5.2.1 looks a name up among every stack's change sets (two stacks with a change set of the same
    name: DescribeChangeSet and ExecuteChangeSet take the last one created, whichever stack was named,
    so the wrong stack is updated); a change set it does not find is a ValidationError "Stack with id
    <name> does not exist" (Describe) or HTTP 500 UnboundLocalError (Execute, Delete).
    """
    from moto.cloudformation.exceptions import CloudFormationError, ValidationError
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult, EmptyResult

    class ChangeSetNotFound(CloudFormationError):
        code = "ChangeSetNotFoundException"

    def find(response: CloudFormationResponse) -> Any | None:
        backend = response.cloudformation_backend
        name = response._get_param("ChangeSetName") or ""
        if name.startswith("arn:"):
            return backend.change_sets.get(name)
        stack_name = response._get_param("StackName")
        if not stack_name:
            raise ValidationError(message="StackName must be specified if ChangeSetName is not specified as an ARN.")
        stack = stack_named(backend, stack_name)
        return next((c for c in change_sets_of(backend, stack) if c.change_set_name == name), None)

    def not_found(response: CloudFormationResponse) -> ChangeSetNotFound:
        return ChangeSetNotFound(f"ChangeSet [{response._get_param('ChangeSetName')}] does not exist")

    def describe_change_set(self: CloudFormationResponse) -> ActionResult:
        change_set = find(self)
        if change_set is None:
            raise not_found(self)
        return ActionResult(change_set)

    def execute_change_set(self: CloudFormationResponse) -> EmptyResult:
        change_set = find(self)
        if change_set is None:
            raise not_found(self)
        self.cloudformation_backend.execute_change_set(change_set_name=change_set.change_set_id, stack_name=change_set.stack_id)
        return EmptyResult()

    def delete_change_set(self: CloudFormationResponse) -> EmptyResult:
        change_set = find(self)
        if change_set is not None:
            self.cloudformation_backend.delete_change_set(change_set_name=change_set.change_set_id)
        return EmptyResult()

    CloudFormationResponse.describe_change_set = describe_change_set  # type: ignore[method-assign]
    CloudFormationResponse.execute_change_set = execute_change_set  # type: ignore[method-assign]
    CloudFormationResponse.delete_change_set = delete_change_set  # type: ignore[method-assign]


def _execute_deletes_change_sets() -> None:
    """Executing a change set deletes every other change set of its stack.

    AWS: "When you execute a change set, CloudFormation deletes all other change sets associated with the
    stack because they aren't valid for the updated stack." (CloudFormation API Reference,
    ExecuteChangeSet). The executed one stays, ExecutionStatus EXECUTE_COMPLETE. moto 5.2.1 keeps them
    all, AVAILABLE: a leftover change set could still be executed against the updated stack, and a
    caller that deletes it afterwards succeeds on moto where AWS has already removed it.
    """
    from moto.cloudformation.models import CloudFormationBackend

    execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        # Found as moto finds it: by ARN, else the last one of that name.
        named = [c for c in self.change_sets.values() if c.change_set_name == change_set_name]
        executed = self.change_sets.get(change_set_name) or (named[-1] if named else None)
        execute(self, change_set_name, stack_name)
        if executed is not None:
            for other in change_sets_of(self, executed):
                if other is not executed:
                    del self.change_sets[other.change_set_id]

    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]
# --- templates too large to send inline, and the buckets they go through ------------------------------------

TEMPLATE_BODY_LIMIT = 51_200
TEMPLATE_URL_LIMIT = 1_000_000


def _template_body_limit() -> None:
    """CloudFormation takes at most 51,200 bytes of template inline, and 1,000,000 through TemplateURL.

    AWS: "Template body size in a request: 51,200 bytes. To use a larger template body, separate your
    template into multiple templates or upload it to an Amazon S3 bucket"; "Template body size in an
    Amazon S3 object: 1 MB" (CloudFormation User Guide, "CloudFormation quotas"). A larger TemplateBody
    answers ValidationError "1 validation error detected: Value '<body>' at 'templateBody' failed to
    satisfy constraint: Member must have length less than or equal to 51200", and a larger object
    "Template may not exceed 1000000 bytes in size.", for CreateStack, UpdateStack, CreateChangeSet,
    ValidateTemplate and GetTemplateSummary alike. moto 5.2.1 accepts any size, so a tool that sends a
    large template inline passes every test and fails on AWS.
    """
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.responses import CloudFormationResponse

    def limited(action: Callable[[CloudFormationResponse], Any]) -> Callable[[CloudFormationResponse], Any]:
        def check_then_act(self: CloudFormationResponse) -> Any:
            body = self._get_param("TemplateBody")
            if body is not None and len(body.encode("utf-8")) > TEMPLATE_BODY_LIMIT:
                raise ValidationError(
                    message=f"1 validation error detected: Value '{body}' at 'templateBody' failed to satisfy "
                    f"constraint: Member must have length less than or equal to {TEMPLATE_BODY_LIMIT}"
                )
            url = self._get_param("TemplateURL")
            if url:
                try:
                    fetched = self._get_stack_from_s3_url(url)
                except Exception:  # moto's own call reports a URL it cannot read
                    fetched = None
                if fetched is not None and len(fetched.encode("utf-8") if isinstance(fetched, str) else fetched) > TEMPLATE_URL_LIMIT:
                    raise ValidationError(message=f"Template may not exceed {TEMPLATE_URL_LIMIT} bytes in size.")
            return action(self)

        return check_then_act

    for name in ("create_stack", "update_stack", "create_change_set", "validate_template", "get_template_summary"):
        setattr(CloudFormationResponse, name, limited(getattr(CloudFormationResponse, name)))


def _expected_bucket_owner() -> None:
    """A request with ExpectedBucketOwner is refused when another account owns the bucket.

    AWS: "If you provide an expected bucket owner and the bucket is owned by a different account, the
    request fails with the HTTP status code 403 Forbidden (access denied)" (Amazon S3 User Guide,
    "Verifying bucket ownership with bucket owner condition"); the header is
    `x-amz-expected-bucket-owner`. moto 5.2.1 ignores the header, and lets any account read and write
    any other account's bucket, so a tool that checks the owner this way is never refused.
    """
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import s3_backends
    from moto.s3.responses import S3Response

    class ExpectedOwnerMismatch(S3ClientError):
        def __init__(self) -> None:
            super().__init__("AccessDenied", "Access Denied")

    def owner_checked(respond: Callable[..., Any]) -> Callable[..., Any]:
        def check_then_respond(self: S3Response, request: Any, full_url: str, *args: Any) -> Any:
            expected = request.headers.get("x-amz-expected-bucket-owner")
            bucket_name = self.parse_bucket_name_from_url(request, full_url)
            if expected and bucket_name:
                owner = s3_backends.bucket_accounts.get(bucket_name)
                if owner is not None and owner[1] != expected:
                    raise ExpectedOwnerMismatch()
            return respond(self, request, full_url, *args)

        return check_then_respond

    S3Response._bucket_response = owner_checked(S3Response._bucket_response)  # type: ignore[method-assign]
    S3Response._key_response = owner_checked(S3Response._key_response)  # type: ignore[method-assign]


def _stack_update_cleanup() -> None:
    """An update deletes the resources the new template no longer has last, dependents first.

    AWS: CloudFormation creates and updates the new template's resources first, and only then, in the
    UPDATE_COMPLETE_CLEANUP_IN_PROGRESS phase, deletes those the template dropped, in reverse dependency
    order ("Update behaviors of stack resources", "Stack status codes", CloudFormation User Guide). moto
    5.2.1 deletes them first, in template order, retrying each failure up to five times: a route deleted
    after its route table fails with InvalidRouteTableID.NotFound, and the whole update answers that
    error half applied (a rack rolled back from 2.0.0 to 1.4.0 has lost its load balancer and alarms and
    keeps its NAT gateways). Each deleted resource gets its DELETE_IN_PROGRESS and DELETE_COMPLETE events;
    one that cannot be deleted gets DELETE_FAILED and stays, and the update still succeeds, as on AWS.
    """
    from moto.cloudformation.models import cloudformation_backends
    from moto.cloudformation.parsing import ResourceMap

    _production_template_deletes()
    original_update = ResourceMap.update

    def update(self: ResourceMap, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        kept = template.get("Resources") or {}
        dropped = {name: resource for name, resource in self._resource_json_map.items() if name not in kept}
        if not dropped:
            return original_update(self, template, parameters)
        # moto's own update then has nothing to remove; the dropped resources wait for the cleanup.
        self._resource_json_map = {name: resource for name, resource in self._resource_json_map.items() if name in kept}
        try:
            original_update(self, template, parameters)
        except Exception:
            self._resource_json_map = {**self._resource_json_map, **dropped}
            raise
        stack = cloudformation_backends[self._account_id][self._region_name].stacks.get(self.stack_id)
        _clean_up(self, dropped, stack)

    def _clean_up(resource_map: ResourceMap, dropped: dict[str, Any], stack: Any) -> None:
        remaining = {
            name for name, resource in dropped.items()
            if resource_map._parsed_resources.get(name) is not None
            and not isinstance(resource_map._parsed_resources[name], str)
            and resource.get("DeletionPolicy") != "Retain"
        }
        needs = {
            name: (_referenced_resources(dropped[name]) | _depends_on(dropped[name])) & remaining - {name}
            for name in remaining
        }
        failed: set[str] = set()
        while True:
            ready = sorted(
                name for name in remaining - failed
                if not any(name in needs[other] for other in remaining if other != name)
            )
            if not ready:
                break
            for name in ready:
                parsed = resource_map._parsed_resources[name]
                resource_type = dropped[name]["Type"]
                if stack is not None:
                    _resource_event(stack, name, parsed, resource_type, "DELETE_IN_PROGRESS")
                try:
                    resource_map._delete_resource(parsed, dropped[name])
                except Exception as error:  # AWS: DELETE_FAILED, the resource stays, the update stands
                    failed.add(name)
                    if stack is not None:
                        reason = getattr(error, "message", None) or str(error)
                        _resource_event(stack, name, parsed, resource_type, "DELETE_FAILED", reason)
                    continue
                resource_map._parsed_resources.pop(name, None)
                remaining.discard(name)
                if stack is not None:
                    _resource_event(stack, name, parsed, resource_type, "DELETE_COMPLETE")

    ResourceMap.update = update  # type: ignore[method-assign]


def _stack_update_conditions() -> None:
    """An update follows each resource's Condition: created when it turns true, deleted when it turns false.

    AWS: "When you update a stack, CloudFormation creates the resources whose conditions evaluate to true
    and deletes those whose conditions evaluate to false"; a resource whose condition stays false does not
    exist and is not touched (CloudFormation User Guide, "Conditions"). moto 5.2.1 "updates" a resource
    that was never created whenever a parameter it refers to is new or changed, and answers HTTP 500
    (AttributeError on None): any update of rack 2.0.0 that passes a parameter its create did not (an
    optional one left at its default, such as ApiCertificateArn) fails on the HTTPS listener. A resource
    whose condition turns true is created only if its own properties happen to change, and one whose
    condition turns false is kept.
    """
    from moto.cloudformation import parsing

    original_update_resource = parsing.parse_and_update_resource
    original_update = parsing.ResourceMap.update

    def parse_and_update_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
    ) -> Any:
        # Created or deleted by its condition after the update, below; updated only while it stays.
        existing = resources_map._parsed_resources.get(logical_id)
        condition = resource_json.get("Condition")
        if existing is None or (condition and not resources_map.lazy_condition_map[condition]):
            return existing
        return original_update_resource(logical_id, resource_json, resources_map, account_id, region_name)

    def update(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
        original_update(self, template, parameters)
        # The conditions now hold for the new parameters.
        for name, resource_json in self._resource_json_map.items():
            condition = resource_json.get("Condition")
            if not condition:
                continue
            wanted = bool(self.lazy_condition_map[condition])
            existing = self._parsed_resources.get(name)
            if wanted and existing is None:
                self._parsed_resources[name] = parsing.parse_and_create_resource(
                    name, resource_json, self, self._account_id, self._region_name
                )
            elif not wanted and existing is not None and not isinstance(existing, str):
                self._delete_resource(existing, resource_json)
                self._parsed_resources[name] = None

    parsing.parse_and_update_resource = parse_and_update_resource
    parsing.ResourceMap.update = update  # type: ignore[method-assign]


# --- resource types the production rack template uses --------------------------------------------------------


def _production_template_deletes() -> None:
    """What CloudFormation does to delete the resource types rack 2.0.0 adds and moto 5.2.1 skips.

    AWS deletes a NAT gateway (its state `deleted`, its address then free), releases an Elastic IP,
    deletes a gateway VPC endpoint (its routes go), a flow log, a load balancer's listener and then its
    target group (CloudFormation User Guide, the resource types' pages: "When you delete the stack ...").
    moto 5.2.1 has no delete for AWS::EC2::NatGateway, EIP, VPCEndpoint, FlowLog or
    AWS::ElasticLoadBalancingV2::Listener, TargetGroup: they outlive the stack, and a target group still
    used by a listener cannot be deleted at all. Used by `stack-delete-resources` and `stack-update-cleanup`.
    """
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.elastic_ip_addresses import ElasticAddress
    from moto.ec2.models.flow_logs import FlowLogs
    from moto.ec2.models.nat_gateways import NatGateway
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.elbv2.exceptions import ListenerNotFoundError, TargetGroupNotFoundError
    from moto.elbv2.models import FakeListener, FakeTargetGroup, elbv2_backends

    def delete_nat_gateway(self: NatGateway, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].delete_nat_gateway(self.id)

    def release_address(self: ElasticAddress, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].release_address(allocation_id=self.allocation_id)

    def delete_endpoint(self: VPCEndPoint, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].delete_vpc_endpoints([self.id])

    def delete_flow_log(self: FlowLogs, account_id: str, region_name: str) -> None:
        ec2_backends[account_id][region_name].delete_flow_logs([self.id])

    def delete_listener(self: FakeListener, account_id: str, region_name: str) -> None:
        try:
            elbv2_backends[account_id][region_name].delete_listener(self.arn)
        except ListenerNotFoundError:
            pass  # gone with its load balancer: CloudFormation counts that as deleted

    def delete_target_group(self: FakeTargetGroup, account_id: str, region_name: str) -> None:
        try:
            elbv2_backends[account_id][region_name].delete_target_group(self.arn)
        except TargetGroupNotFoundError:
            pass

    NatGateway.delete = delete_nat_gateway  # type: ignore[attr-defined]
    ElasticAddress.delete = release_address  # type: ignore[attr-defined]
    VPCEndPoint.delete = delete_endpoint  # type: ignore[attr-defined]
    FlowLogs.delete = delete_flow_log  # type: ignore[attr-defined]
    FakeListener.delete = delete_listener  # type: ignore[attr-defined]
    FakeTargetGroup.delete = delete_target_group  # type: ignore[attr-defined]


def _alarm_resources() -> None:
    """A stack creates, updates and deletes its AWS::CloudWatch::Alarm resources.

    AWS: AWS::CloudWatch::Alarm "specifies an alarm"; Ref returns its name and Fn::GetAtt Arn its ARN;
    changing AlarmName requires replacement, any other property is an update with no interruption
    (CloudFormation User Guide, AWS::CloudWatch::Alarm). moto 5.2.1 has no CloudFormation model for it:
    the resource is skipped with a warning, so a stack whose other resources refer to an alarm fails
    ("Fn::GetAtt references undefined resource"), and no alarm exists for DescribeAlarms or SetAlarmState.
    """
    from moto.cloudformation import parsing
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core.common_models import CloudFormationModel

    def alarm_arguments(properties: dict[str, Any]) -> dict[str, Any]:
        threshold = properties.get("Threshold")
        return {
            "namespace": properties.get("Namespace"),
            "metric_name": properties.get("MetricName"),
            "comparison_operator": properties.get("ComparisonOperator"),
            "evaluation_periods": int(properties.get("EvaluationPeriods", 1)),
            "datapoints_to_alarm": int(properties["DatapointsToAlarm"]) if "DatapointsToAlarm" in properties else None,
            "period": int(properties["Period"]) if "Period" in properties else None,
            "threshold": float(threshold) if threshold is not None else None,
            "statistic": properties.get("Statistic"),
            "extended_statistic": properties.get("ExtendedStatistic"),
            "description": properties.get("AlarmDescription"),
            "dimensions": [{"Name": d["Name"], "Value": d["Value"]} for d in properties.get("Dimensions") or []],
            "alarm_actions": list(properties.get("AlarmActions") or []),
            "ok_actions": list(properties.get("OKActions") or []),
            "insufficient_data_actions": list(properties.get("InsufficientDataActions") or []),
            "unit": properties.get("Unit"),
            "actions_enabled": properties.get("ActionsEnabled", True) in (True, "true", "True"),
            "treat_missing_data": properties.get("TreatMissingData"),
            "evaluate_low_sample_count_percentile": properties.get("EvaluateLowSampleCountPercentile"),
            "threshold_metric_id": properties.get("ThresholdMetricId"),
        }

    class StackAlarm(CloudFormationModel):
        """The stack's handle on an alarm that lives in moto's CloudWatch backend."""

        # moto's model metaclass files each model under the service its module names.
        __module__ = "moto.cloudwatch.models"

        def __init__(self, name: str, arn: str):
            self.name = name
            self.arn = arn

        @property
        def physical_resource_id(self) -> str:
            return self.name

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CloudWatch::Alarm"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            if attribute_name == "Arn":
                return self.arn
            raise UnformattedGetAttTemplateException()

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[misc]
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
        ) -> "StackAlarm":
            backend = cloudwatch_backends[account_id][region_name]
            alarm = backend.put_metric_alarm(name=resource_name, **alarm_arguments(cloudformation_json["Properties"]))
            return cls(alarm.name, alarm.alarm_arn)

        @classmethod
        def update_from_cloudformation_json(  # type: ignore[misc]
            cls, original_resource: Any, new_resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> "StackAlarm":
            name = cloudformation_json["Properties"].get("AlarmName") or original_resource.name
            if name != original_resource.name:
                cloudwatch_backends[account_id][region_name].delete_alarms([original_resource.name])
            return cls.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(  # type: ignore[misc]
            cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
        ) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([self.name])

        def is_created(self) -> bool:
            return True

    # The model map is built once from CloudFormationModel's subclasses; a new one needs it rebuilt.
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


def _load_balancer_full_names() -> None:
    """Fn::GetAtt gives a load balancer's LoadBalancerFullName and a target group's TargetGroupFullName.

    AWS: LoadBalancerFullName is "app/my-load-balancer/50dc6c495c0c9188" and TargetGroupFullName
    "targetgroup/my-target-group/cbf133c568e0d028": the final parts of their ARNs, which is what
    CloudWatch's AWS/ApplicationELB dimensions take (CloudFormation User Guide,
    AWS::ElasticLoadBalancingV2::LoadBalancer and ::TargetGroup, return values). moto 5.2.1 raises
    NotImplementedError for LoadBalancerFullName, has no attributes at all for a target group, and
    answers HTTP 500 for a stack whose alarms name them.
    """
    from moto.elbv2.models import FakeLoadBalancer, FakeTargetGroup

    load_balancer_attribute = FakeLoadBalancer.get_cfn_attribute

    def load_balancer_get_cfn_attribute(self: FakeLoadBalancer, attribute_name: str) -> Any:
        if attribute_name == "LoadBalancerFullName":
            return self.arn.split(":loadbalancer/", 1)[1]
        return load_balancer_attribute(self, attribute_name)

    def target_group_has_cfn_attr(cls: Any, attr: str) -> bool:
        return attr in ("TargetGroupFullName", "TargetGroupArn", "TargetGroupName", "LoadBalancerArns")

    def target_group_get_cfn_attribute(self: FakeTargetGroup, attribute_name: str) -> Any:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "TargetGroupFullName":
            return self.arn.split(":", 5)[5]
        if attribute_name == "TargetGroupArn":
            return self.arn
        if attribute_name == "TargetGroupName":
            return self.name
        if attribute_name == "LoadBalancerArns":
            return list(self.load_balancer_arns)
        raise UnformattedGetAttTemplateException()

    FakeLoadBalancer.get_cfn_attribute = load_balancer_get_cfn_attribute  # type: ignore[method-assign]
    FakeTargetGroup.has_cfn_attr = classmethod(target_group_has_cfn_attr)  # type: ignore[method-assign,assignment]
    FakeTargetGroup.get_cfn_attribute = target_group_get_cfn_attribute  # type: ignore[method-assign]


# --- rollback triggers: CloudWatch alarms that roll an update back -------------------------------------------

ROLLBACK_TRIGGER_TYPES = {"AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"}


def rollback_configuration_of(change_set: Any) -> dict[str, Any] | None:
    """The rollback configuration an execute of this change set runs with: its own, else the stack's saved one."""
    own = getattr(change_set, "harness_rollback_configuration", None)
    return own if own is not None else getattr(change_set.stack, "rollback_configuration", None)


def firing_triggers(configuration: dict[str, Any] | None, account_id: str, region: str) -> tuple[list[str], list[str]]:
    """The triggers whose alarm is in ALARM, and those whose alarm does not exist (AWS fails the operation for both)."""
    from moto.cloudwatch.models import cloudwatch_backends

    if not configuration:
        return [], []
    alarms = cloudwatch_backends[account_id][region].alarms
    firing: list[str] = []
    missing: list[str] = []
    for trigger in configuration.get("RollbackTriggers") or []:
        arn = trigger.get("Arn", "")
        alarm = alarms.get(arn.split(":alarm:", 1)[-1])
        if alarm is None:
            missing.append(arn)
        elif alarm.state_value == "ALARM":
            firing.append(arn)
    return firing, missing


def trigger_reason(firing: list[str], missing: list[str]) -> str | None:
    """The stack's reason for a rollback a trigger caused: CloudFormation's "The following …: [X]. " form, naming the alarms."""
    if firing:
        return f"The following rollback trigger(s) are in ALARM state: [{', '.join(firing)}]. "
    if missing:
        return f"The following rollback trigger(s) do not exist: [{', '.join(missing)}]. "
    return None


def _rollback_triggers() -> None:
    """An update rolls back when an alarm its RollbackConfiguration names is in ALARM (or does not exist).

    AWS: CreateChangeSet, UpdateStack and CreateStack take a RollbackConfiguration (RollbackTriggers, each an
    alarm's Arn and Type AWS::CloudWatch::Alarm or AWS::CloudWatch::CompositeAlarm, and
    MonitoringTimeInMinutes, 0 to 180). "If any of the alarms you specify goes to ALARM state during the stack
    operation or within the specified monitoring period afterwards, CloudFormation rolls back the entire stack
    operation"; "If a specified trigger is missing, the entire stack operation fails and is rolled back";
    "CloudFormation saves the rollback triggers specified for a stack and applies them to any subsequent
    update operations for the stack, unless you specify otherwise" (an empty list removes them).
    DescribeChangeSet and DescribeStacks return the RollbackConfiguration (CloudFormation API Reference,
    RollbackConfiguration, RollbackTrigger; User Guide, "Roll back your CloudFormation stack on alarm breach
    with rollback triggers"). moto 5.2.1 accepts the parameter and ignores it: it neither keeps nor shows it,
    and an update completes whatever the alarms say. Here the configuration is kept on the change set (and,
    once executed, on the stack), shown by DescribeChangeSet and DescribeStacks, and an executed change set
    whose trigger is in ALARM or missing ends UPDATE_ROLLBACK_COMPLETE, nothing applied, the stack's
    UPDATE_ROLLBACK_IN_PROGRESS event naming the alarm. Inside moto an update takes no time, so only the
    state at execution counts; scripted timelines (timelines.ts) watch the alarms through the update and its
    monitoring time with GET /_harness/rollback-triggers. The reason's exact wording on AWS is not
    documented; rack does not depend on it (it reads the alarms' states itself).
    """
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse

    create_change_set = CloudFormationResponse.create_change_set

    def create_change_set_keeping_configuration(self: CloudFormationResponse) -> Any:
        answer = create_change_set(self)
        configuration = self._get_param("RollbackConfiguration")
        change_set = self.cloudformation_backend.change_sets.get(answer.result.get("Id", ""))
        if change_set is not None and configuration is not None:
            change_set.harness_rollback_configuration = {
                "RollbackTriggers": list(configuration.get("RollbackTriggers") or []),
                "MonitoringTimeInMinutes": int(configuration.get("MonitoringTimeInMinutes") or 0),
            }
        return answer

    def change_set_configuration(change_set: Any) -> dict[str, Any] | None:
        return rollback_configuration_of(change_set)

    execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self: CloudFormationBackend, change_set_name: str, stack_name: str | None = None) -> None:
        named = [c for c in self.change_sets.values() if c.change_set_name == change_set_name]
        change_set = self.change_sets.get(change_set_name) or (named[-1] if named else None)
        if change_set is None or change_set.change_set_type != "UPDATE":
            return execute(self, change_set_name, stack_name)
        stack = self.stacks[change_set.stack_id]
        configuration = rollback_configuration_of(change_set)
        reason = trigger_reason(*firing_triggers(configuration, self.account_id, self.region_name))
        # As on AWS, the configuration given is the stack's from now on.
        stack.rollback_configuration = configuration
        if reason is None:
            return execute(self, change_set_name, stack_name)
        stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
        stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
        stack.status = "UPDATE_ROLLBACK_COMPLETE"
        change_set.execution_status = "EXECUTE_FAILED"

    CloudFormationResponse.create_change_set = create_change_set_keeping_configuration  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]
    # Shown by DescribeChangeSet and DescribeStacks (the serializer reads snake_case attributes).
    from moto.cloudformation.models import ChangeSet

    ChangeSet.rollback_configuration = property(change_set_configuration)  # type: ignore[attr-defined]


# --- auto-scaling launches ---------------------------------------------------------------------------------------


def _group_launch_version() -> None:
    """A group launches instances from the launch template version it names, and says which each used.

    AWS: the group's LaunchTemplateSpecification names a version ("$Latest", "$Default" or a number) and
    instances are launched from that version; DescribeAutoScalingGroups and DescribeAutoScalingInstances
    show for each instance the launch template and version it was launched with (Amazon EC2 Auto Scaling
    API Reference, LaunchTemplateSpecification, Instance). moto 5.2.1 reads image, type and user data
    from the group's version but calls RunInstances with the template id alone, so EC2 applies the
    template's default version (version 1 under CloudFormation): a replacement comes up with the old key
    pair and security groups; and every instance reports the template's default version.
    """
    from moto.autoscaling.models import ASG_NAME_TAG, FakeAutoScalingGroup, InstanceState
    from moto.moto_api._internal import mock_random as random

    def launch_template_version(group: FakeAutoScalingGroup) -> str | None:
        if group.ec2_launch_template is None:
            return None
        return str(group.ec2_launch_template.get_version(group.launch_template_version).number)

    def replace_autoscaling_group_instances(self: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]) -> None:
        propagated_tags[ASG_NAME_TAG] = self.name
        propagated_tags.update(self.instance_tags)
        # As moto does: every instance in the first subnet.
        subnet_id = self.vpc_zone_identifier.split(",")[0] if self.vpc_zone_identifier else None
        associate_public_ip = self.launch_config.associate_public_ip_address if self.launch_config else None
        version = launch_template_version(self)
        launch_template = None
        if self.ec2_launch_template is not None:
            launch_template = {"LaunchTemplateId": self.ec2_launch_template.id, "Version": version}
        reservation = self.autoscaling_backend.ec2_backend.run_instances(
            self.image_id,
            count_needed,
            self.user_data,
            self.security_groups,
            instance_type=self.instance_type,
            tags={"instance": propagated_tags},
            placement=random.choice(self.availability_zones),
            launch_config=self.launch_config,
            launch_template=launch_template,
            is_instance_type_default=False,
            associate_public_ip=associate_public_ip,
            subnet_id=subnet_id,
        )
        for instance in reservation.instances:
            instance.autoscaling_group = self
            state = InstanceState(instance, protected_from_scale_in=self.new_instances_protected_from_scale_in)
            state.harness_launch_template_version = version  # type: ignore[attr-defined]
            self.instance_states.append(state)

    def instance_launch_template(self: InstanceState) -> dict[str, Any] | None:
        template = self.auto_scaling_group.ec2_launch_template if self.auto_scaling_group is not None else None
        if template is None:
            return None
        version = getattr(self, "harness_launch_template_version", None) or str(template.default_version_number)
        return {"LaunchTemplateId": template.id, "LaunchTemplateName": template.name, "Version": version}

    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances  # type: ignore[method-assign]
    InstanceState.launch_template = property(instance_launch_template)  # type: ignore[method-assign,assignment]


def _in_service_delay() -> None:
    """A newly launched group instance is Pending for a while before it is InService.

    AWS: an instance the group launches goes through the Pending lifecycle state (launch, boot, lifecycle
    hooks, health check grace) before InService, which takes minutes (Amazon EC2 Auto Scaling User Guide,
    "Amazon EC2 Auto Scaling instance lifecycle"); Pending instances count toward the desired capacity.
    moto 5.2.1 puts every instance InService at once, so a check that waits for replacements to be in
    service can never fail. The delay is the `inServiceDelayMs` setting (0 by default: InService at once).
    """
    from moto.autoscaling.models import FakeAutoScalingGroup, autoscaling_backends

    launch = FakeAutoScalingGroup.replace_autoscaling_group_instances

    def replace_autoscaling_group_instances(self: FakeAutoScalingGroup, count_needed: int, propagated_tags: dict[str, str]) -> None:
        known = {id(state) for state in self.instance_states}
        launch(self, count_needed, propagated_tags)
        delay = CONFIG.seconds("inServiceDelayMs")
        if delay <= 0:
            return
        due = time.monotonic() + delay
        for state in self.instance_states:
            if id(state) not in known:
                state.lifecycle_state = "Pending"
                state.harness_in_service_at = due  # type: ignore[attr-defined]

    def active_instances(self: FakeAutoScalingGroup) -> list[Any]:
        # Pending instances are launched capacity: counting them stops a second launch for the same slot.
        return [s for s in self.instance_states if s.lifecycle_state in ("Pending", "InService")]

    def bring_into_service(now: float) -> None:
        for account_id in list(autoscaling_backends.keys()):
            for backend in list(autoscaling_backends[account_id].values()):
                for group in list(backend.autoscaling_groups.values()):
                    for state in group.instance_states:
                        if state.lifecycle_state == "Pending" and getattr(state, "harness_in_service_at", now) <= now:
                            state.lifecycle_state = "InService"

    FakeAutoScalingGroup.replace_autoscaling_group_instances = replace_autoscaling_group_instances  # type: ignore[method-assign]
    FakeAutoScalingGroup.active_instances = active_instances  # type: ignore[method-assign]
    TICKERS.append(bring_into_service)


def _ecs_agent() -> None:
    """The ECS agent and service scheduler: see moto_ecs_agent.py."""
    import moto_ecs_agent

    TICKERS.append(moto_ecs_agent.install(task_start_seconds=lambda: CONFIG.seconds("ecsTaskStartMs")))


def host_key_fingerprint(public_key: str, comment: str) -> str:
    """`ssh-keygen -l`'s line for an OpenSSH public key file: `256 SHA256:… comment (ED25519)`."""
    import base64
    import hashlib

    fields = public_key.split()
    if len(fields) < 2:
        raise ValueError(f"not an OpenSSH public key: {public_key!r}")
    key_type, blob = fields[0], base64.b64decode(fields[1], validate=True)
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    if key_type == "ssh-ed25519":
        bits, label = 256, "ED25519"
    elif key_type.startswith("ecdsa-sha2-nistp"):
        bits, label = int(key_type.removeprefix("ecdsa-sha2-nistp")), "ECDSA"
    elif key_type == "ssh-rsa":
        # The blob: string "ssh-rsa", mpint e, mpint n; the key's size is n's.
        offset, fields_read = 0, []
        for _ in range(3):
            length = int.from_bytes(blob[offset : offset + 4], "big")
            fields_read.append(blob[offset + 4 : offset + 4 + length])
            offset += 4 + length
        bits, label = int.from_bytes(fields_read[2], "big").bit_length(), "RSA"
    else:
        raise ValueError(f"unsupported host key type {key_type}")
    return f"{bits} SHA256:{digest} {comment} ({label})"


def host_name(instance: Any) -> str:
    """The host name an instance gives itself on EC2: ip-10-0-0-1 for 10.0.0.1."""
    return "ip-" + str(instance.private_ip or "10.0.0.1").replace(".", "-")


def console_boot_log(instance: Any) -> str:
    """A serial console log shaped as an Amazon Linux first boot with cloud-init writes it.

    cloud-init's keys_to_console module runs write-ssh-key-fingerprints, which prints the fingerprints
    (`ssh-keygen -l` of each /etc/ssh/ssh_host_*key.pub) through `logger -s -t ec2` (hence the syslog
    prefix on each line), then the public keys themselves plainly. An instance the test gave no host keys
    prints neither block, as an image without keys_to_console does.
    """
    stamp = time.strftime("%b %d %H:%M:%S", time.gmtime())
    host = host_name(instance)
    keys: list[str] = getattr(instance, "harness_host_keys", [])
    lines = [
        "[    0.000000] Linux version 6.1.119-129.201.amzn2023.x86_64 (mockbuild@ip-10-0-55-154) #1 SMP",
        "[    0.000000] Command line: BOOT_IMAGE=(hd0,gpt1)/boot/vmlinuz root=UUID=0e3d4e5c ro console=tty0 console=ttyS0,115200n8",
        "[    2.417042] systemd[1]: Detected virtualization amazon.",
        f"[    5.832116] cloud-init[1602]: Cloud-init v. 22.2.2 running 'init' at {stamp}. Up 5.80 seconds.",
        "[    5.901554] cloud-init[1602]: ci-info: no authorized SSH keys fingerprints found for user ec2-user.",
    ]
    if keys:
        prefix = f"<14>{stamp} ec2: "
        lines += [prefix, prefix + "#" * 61, prefix + "-----BEGIN SSH HOST KEY FINGERPRINTS-----"]
        lines += [prefix + host_key_fingerprint(key, f"root@{host}") for key in keys]
        lines += [prefix + "-----END SSH HOST KEY FINGERPRINTS-----", prefix + "#" * 61]
        lines += ["-----BEGIN SSH HOST KEY KEYS-----"]
        lines += [" ".join(key.split()[:2] + [f"root@{host}"]) for key in keys]
        lines += ["-----END SSH HOST KEY KEYS-----"]
    lines.append(f"[    9.127450] cloud-init[2110]: Cloud-init v. 22.2.2 finished at {stamp}. Up 9.12 seconds")
    # A serial console's line ends.
    return "\r\n".join(lines) + "\r\n"


def _console_host_keys() -> None:
    """GetConsoleOutput returns the instance's own boot log, with cloud-init's SSH host key fingerprints.

    AWS: GetConsoleOutput returns the instance's serial console output, base64-encoded (Amazon EC2 API
    Reference, GetConsoleOutput); on an image with cloud-init, the first boot prints the instance's SSH
    host key fingerprints between `-----BEGIN SSH HOST KEY FINGERPRINTS-----` and
    `-----END SSH HOST KEY FINGERPRINTS-----`, which is how AWS says to check a new instance's host key
    (Amazon EC2 User Guide, "Get the fingerprint of your instance's host key"). moto 5.2.1 returns the
    same fixed kernel log for every instance (`SAMPLE_CONSOLE_OUTPUT` in moto/ec2/responses/general.py),
    without fingerprints. moto's instances have no host keys: a test gives one the keys of its loopback
    SSH server (POST /_harness/console-host-keys), and its console then prints them as cloud-init does.
    """
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.ec2.responses.general import General
    from moto.ec2.utils import Base64EncodedString

    def get_console_output(self: General) -> ActionResult:
        instance = self.ec2_backend.get_instance(self._get_param("InstanceId"))
        return ActionResult(
            {
                "InstanceId": instance.id,
                "Timestamp": utcnow(),
                "Output": Base64EncodedString.from_raw_string(console_boot_log(instance)),
            }
        )

    General.get_console_output = get_console_output  # type: ignore[method-assign]


CORRECTIONS: dict[str, Correction] = {
    c.name: c
    for c in [
        # Order matters: noecho-mask wraps the parameter list that parameter-strings puts in place.
        Correction("parameter-strings", "DescribeStacks shows parameter values as stored strings", _parameter_strings),
        Correction("noecho-mask", "DescribeStacks/DescribeChangeSet mask NoEcho values", _noecho_mask),
        Correction("previous-defaults", "UsePreviousValue covers defaulted parameters", _previous_defaults),
        Correction("empty-parameters", "an omitted parameter takes its Default, an empty list included", _empty_parameters),
        Correction("stack-update-dependents", "a stack update updates resources whose resolved properties change", _stack_update_dependents),
        Correction("group-update-in-place", "a stack update changes an auto-scaling group in place", _group_update_in_place),
        Correction("security-group-update", "a stack update changes a security group's rules in place", _security_group_update),
        Correction("task-definition-update", "an updated task definition keeps its container definitions", _task_definition_update),
        Correction("log-group-update", "a stack update changes a log group in place", _log_group_update),
        Correction("stack-delete-resources", "DeleteStack deletes every resource, dependents first, or fails", _stack_delete_resources),
        Correction("iam-capability", "IAM resources need CAPABILITY_IAM or CAPABILITY_NAMED_IAM", _iam_capability),
        Correction("list-change-sets-by-stack", "ListChangeSets lists the named stack's change sets only", _list_change_sets_by_stack),
        Correction("change-set-lookup", "a change set name is looked up in its stack; a missing one is ChangeSetNotFound", _change_set_lookup),
        Correction("execute-deletes-change-sets", "executing a change set deletes the stack's other change sets", _execute_deletes_change_sets),
        # After iam-capability: AWS checks a request's length before anything in it.
        Correction("template-body-limit", "TemplateBody is at most 51,200 bytes, TemplateURL 1,000,000", _template_body_limit),
        Correction("expected-bucket-owner", "ExpectedBucketOwner refuses a bucket another account owns", _expected_bucket_owner),
        Correction("stack-update-cleanup", "an update deletes the resources it drops last, dependents first", _stack_update_cleanup),
        Correction("stack-update-conditions", "an update creates or deletes resources whose Condition changed", _stack_update_conditions),
        Correction("alarm-resources", "a stack creates, updates and deletes CloudWatch alarms", _alarm_resources),
        Correction("load-balancer-full-names", "GetAtt LoadBalancerFullName and TargetGroupFullName", _load_balancer_full_names),
        Correction("rollback-triggers", "an update rolls back when a rollback trigger's alarm is in ALARM", _rollback_triggers),
        # Order matters: in-service-delay wraps the launch that group-launch-version puts in place.
        Correction("group-launch-version", "a group launches from its launch template version", _group_launch_version),
        Correction("in-service-delay", "a new group instance is Pending before InService", _in_service_delay),
        Correction("ecs-agent", "ECS registers instances, places, moves and counts service tasks", _ecs_agent),
        Correction("console-host-keys", "GetConsoleOutput prints the instance's SSH host key fingerprints", _console_host_keys),
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
        run_clock()
        if not path.startswith("/_harness/"):
            with MOTO_LOCK:
                # moto builds its whole answer inside the call, so the lock covers all of it.
                answer = self.moto_app(environ, start_response)
                if path == "/moto-api/reset":
                    CONFIG.restore()
                return answer
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            with MOTO_LOCK:
                status, body = self.route(environ.get("REQUEST_METHOD", "GET"), path, query, _read_body(environ))
        except ValueError as error:
            status, body = 400, {"error": str(error)}
        except Exception as error:  # the side door must answer, never hang a test
            status, body = 500, {"error": f"{type(error).__name__}: {error}"}
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Error'}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))],
        )
        return [payload]

    def route(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if path == "/_harness/corrections":
            return 200, {"corrections": self.corrections}
        if path == "/_harness/stack-parameters":
            return self.stack_parameters(query)
        if path == "/_harness/config":
            if method == "POST":
                # From now on: what is already Pending or PENDING keeps the time it was given.
                return 200, CONFIG.update(json.loads(body or b"{}"))
            return 200, dict(CONFIG.values)
        if path == "/_harness/ecs-agent":
            if "ecs-agent" not in self.corrections:
                return 404, {"error": "the ECS agent is off (--without ecs-agent)"}
            import moto_ecs_agent

            return 200, moto_ecs_agent.snapshot()
        if path == "/_harness/rollback-triggers":
            if "rollback-triggers" not in self.corrections:
                return 404, {"error": "rollback configurations are ignored, as moto does (--without rollback-triggers)"}
            return self.rollback_triggers(query)
        if path == "/_harness/console-host-keys" and method == "POST":
            if "console-host-keys" not in self.corrections:
                return 404, {"error": "console output is moto's own (--without console-host-keys)"}
            return self.console_host_keys(json.loads(body or b"{}"))
        return 404, {"error": f"no harness route {path}"}

    def console_host_keys(self, request: Any) -> tuple[int, dict[str, Any]]:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ec2.models import ec2_backends

        if not isinstance(request, dict) or not isinstance(request.get("instanceId"), str):
            raise ValueError("expected {\"instanceId\": \"i-…\", \"publicKeys\": [\"ssh-ed25519 AAAA…\"]}")
        keys = request.get("publicKeys") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ValueError("publicKeys must be a list of OpenSSH public key lines")
        backend = ec2_backends[request.get("account", DEFAULT_ACCOUNT_ID)][request.get("region", "us-east-1")]
        instance = backend.get_instance(request["instanceId"])
        # Printed first, so that a key it cannot print is refused before the instance has it.
        fingerprints = [host_key_fingerprint(key, f"root@{host_name(instance)}") for key in keys]
        # Kept on moto's own instance, so /moto-api/reset forgets it with the instance.
        instance.harness_host_keys = list(keys)
        return 200, {"fingerprints": fingerprints}

    def rollback_triggers(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        from moto.cloudformation.models import cloudformation_backends
        from moto.core import DEFAULT_ACCOUNT_ID

        account = query.get("account", DEFAULT_ACCOUNT_ID)
        region = query.get("region", "us-east-1")
        change_set = cloudformation_backends[account][region].change_sets.get(query.get("changeSet", ""))
        if change_set is None:
            return 404, {"error": f"no change set {query.get('changeSet')}"}
        configuration = rollback_configuration_of(change_set)
        firing, missing = firing_triggers(configuration, account, region)
        return 200, {
            "configuration": configuration,
            "firing": firing,
            "missing": missing,
            "reason": trigger_reason(firing, missing),
        }

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


def _read_body(environ: dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


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
    for key, default in HarnessConfig.DEFAULTS.items():
        flag = "--" + re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), key)  # inServiceDelayMs: --in-service-delay-ms
        parser.add_argument(flag, dest=key, type=int, default=default, metavar="MS", help=f"initial {key} (default {default})")
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

    CONFIG.launch_with({key: getattr(args, key) for key in HarnessConfig.DEFAULTS})
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
    if TICKERS:
        _start_ticker()
    print(f"READY port={server.server_port} corrections={','.join(applied)}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
