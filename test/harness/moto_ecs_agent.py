"""A fake ECS agent and service scheduler inside moto 5.2.1, for the harness (not AWS code).

On AWS the ECS agent on each instance registers it with the cluster its user data names
(`ECS_CLUSTER=` in /etc/ecs/ecs.config), and the service scheduler keeps each service's desired count
of tasks running: it places tasks on ACTIVE container instances, replaces the tasks of an instance set
to DRAINING within the service's deploymentConfiguration, replaces the tasks lost with a terminated
instance, and reports runningCount and pendingCount (Amazon ECS Developer Guide: "Container instance
draining", "Amazon ECS services"; ECS API Reference: DeploymentConfiguration, UpdateContainerInstancesState).
moto 5.2.1 has none of it: instances never register, services never get tasks, and every service's
runningCount is the process-wide MOTO_ECS_SERVICE_RUNNING.

Played on the harness clock (`install` returns the tick):
- registration: a running EC2 instance whose user data sets ECS_CLUSTER to an existing cluster becomes
  an ACTIVE container instance, with the CPU and memory of its instance type; one a group launched
  registers once it is InService;
- deregistration: a container instance whose EC2 instance stopped or terminated is removed, and its
  tasks are STOPPED ("Host EC2 (instance i-…) terminated.");
- placement: each ACTIVE REPLICA service on EC2 gets its desiredCount of tasks, spread over instances
  (fewest of the service's tasks, then fewest tasks, then registered first) where CPU, memory and fixed
  host ports fit; a placed task is PENDING for `ecsTaskStartMs`, then RUNNING;
- replacement: tasks on a DRAINING instance, or of a task definition other than the service's, are
  replaced: new tasks start while the service's PENDING and RUNNING tasks stay within maximumPercent of
  desiredCount (rounded down), and old ones stop while its RUNNING tasks stay at or above
  minimumHealthyPercent (rounded up). A one-task service with minimumHealthyPercent 0 is down while its
  task moves; with 50 or 100 (rounded up: 1) its replacement runs before the old task stops;
- counts: a service's runningCount and pendingCount (and its PRIMARY deployment's), a container
  instance's runningTasksCount, pendingTasksCount and remainingResources, and a cluster's counts are
  read from the tasks when asked, never stored.

A service keeps the deploymentConfiguration it was given (CreateService, UpdateService, or the
template's DeploymentConfiguration); AWS's defaults are minimumHealthyPercent 100, maximumPercent 200.
Tasks started with RunTask or StartTask are left to moto, but take up room and are counted.
"""

from __future__ import annotations

import base64
import itertools
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

LIVE = ("PENDING", "RUNNING")
DEFAULT_DEPLOYMENT = {"maximumPercent": 200, "minimumHealthyPercent": 100}
# Ports the ECS agent reserves on every instance (ECS_RESERVED_PORTS's default).
RESERVED_PORTS = ["22", "2375", "2376", "51678", "51679"]

# vCPUs and MiB of the instance types the rack templates allow, and a few neighbours. The agent
# registers 1024 CPU units per vCPU and the memory less what the OS keeps, here taken as 5 %.
INSTANCE_TYPES: dict[str, tuple[int, int]] = {
    "t3.micro": (2, 1024),
    "t3.small": (2, 2048),
    "t3.medium": (2, 4096),
    "t3.large": (2, 8192),
    "m6i.large": (2, 8192),
    "m6i.xlarge": (4, 16384),
    "c6i.large": (2, 4096),
}
# An unknown type registers what moto's ContainerInstance does.
UNKNOWN_TYPE = (4096, 7482)

_sequence = itertools.count(1)


def install(task_start_seconds: Callable[[], float]) -> Callable[[float], None]:
    """Patches moto's ECS models so counts come from tasks; returns the tick that plays the agent."""
    _count_from_tasks()
    _keep_deployment_configuration()

    def tick(now: float) -> None:
        for account_id, region_name, backend in _ecs_backends():
            if backend.clusters:
                _play(account_id, region_name, backend, now, task_start_seconds())

    return tick


def snapshot() -> dict[str, Any]:
    """What the agent sees, for tests to print when a wait times out."""
    clusters = []
    for account_id, region_name, backend in _ecs_backends():
        for name in sorted(backend.clusters):
            instances = [
                {
                    "containerInstanceArn": ci.container_instance_arn,
                    "ec2InstanceId": ci.ec2_instance_id,
                    "status": ci.status,
                    "tasks": [
                        {"taskArn": t.task_arn, "group": t.group, "lastStatus": t._status, "taskDefinitionArn": t.task_definition_arn}
                        for t in _live_on(backend, ci)
                    ],
                }
                for ci in backend.container_instances.get(name, {}).values()
            ]
            services = [
                {
                    "serviceName": s.name,
                    "status": s.status,
                    "desiredCount": s.desired_count,
                    "runningCount": s.running_count,
                    "pendingCount": s.pending_count,
                    "deploymentConfiguration": s.deployment_configuration,
                }
                for s in backend.services.values()
                if s.cluster_name == name
            ]
            clusters.append(
                {"account": account_id, "region": region_name, "clusterName": name, "containerInstances": instances, "services": services}
            )
    return {"clusters": clusters}


# --- moto's models, read from the tasks ----------------------------------------------------------------------


def _count_from_tasks() -> None:
    """Counts moto stores and bumps (or takes from MOTO_ECS_SERVICE_RUNNING) become reads of the tasks.

    Writes moto makes to them (CreateService, UpdateService, RunTask's bookkeeping) are ignored.
    """
    from moto.ecs.models import Cluster, ContainerInstance, Service, ecs_backends

    def ignore(self: Any, value: Any) -> None:
        pass

    def service_count(status: str) -> property:
        return property(lambda self: sum(1 for t in _service_tasks(self) if t._status == status), ignore)

    def instance_count(status: str) -> property:
        return property(lambda self: sum(1 for t in _live_on(self._backend, self) if t._status == status), ignore)

    def cluster_backend(cluster: Any) -> Any:
        account_id = cluster.arn.split(":")[4]
        return ecs_backends[account_id][cluster.region_name]

    def cluster_task_count(status: str) -> property:
        def count(self: Any) -> int:
            tasks = cluster_backend(self).tasks.get(self.name, {}).values()
            return sum(1 for t in tasks if t.desired_status == "RUNNING" and t._status == status)

        return property(count, ignore)

    def deployments(self: Any) -> list[dict[str, Any]]:
        stored: list[dict[str, Any]] = self.__dict__.get("harness_deployments", [])
        current = _task_definition_arn(self)
        tasks = _service_tasks(self)
        for deployment in stored:
            if deployment.get("status") != "PRIMARY":
                continue
            mine = [t for t in tasks if t.task_definition_arn == current]
            deployment["taskDefinition"] = current or deployment.get("taskDefinition")
            deployment["desiredCount"] = self.desired_count
            deployment["runningCount"] = sum(1 for t in mine if t._status == "RUNNING")
            deployment["pendingCount"] = sum(1 for t in mine if t._status == "PENDING")
            settled = deployment["runningCount"] == _desired(self) and len(mine) == len(tasks)
            deployment["rolloutState"] = "COMPLETED" if settled else "IN_PROGRESS"
        return stored

    def set_deployments(self: Any, value: list[dict[str, Any]]) -> None:
        self.__dict__["harness_deployments"] = value

    Service.running_count = service_count("RUNNING")  # type: ignore[attr-defined]
    Service.pending_count = service_count("PENDING")  # type: ignore[attr-defined]
    Service.deployments = property(deployments, set_deployments)  # type: ignore[attr-defined]
    ContainerInstance.running_tasks_count = instance_count("RUNNING")  # type: ignore[attr-defined]
    ContainerInstance.pending_tasks_count = instance_count("PENDING")  # type: ignore[attr-defined]
    ContainerInstance.remaining_resources = property(lambda self: _resource_list(_remaining(self)), ignore)  # type: ignore[attr-defined]
    Cluster.running_tasks_count = cluster_task_count("RUNNING")  # type: ignore[attr-defined]
    Cluster.pending_tasks_count = cluster_task_count("PENDING")  # type: ignore[attr-defined]
    Cluster.registered_container_instances_count = property(  # type: ignore[attr-defined]
        lambda self: len(cluster_backend(self).container_instances.get(self.name, {})), ignore
    )


def _keep_deployment_configuration() -> None:
    """moto drops a service's deploymentConfiguration; the scheduler needs it, DescribeServices shows it."""
    from moto.core.utils import pascal_to_camelcase, remap_nested_keys
    from moto.ecs.models import Service
    from moto.ecs.responses import EC2ContainerServiceResponse

    def get(self: Any) -> dict[str, Any]:
        return {**DEFAULT_DEPLOYMENT, **(self.__dict__.get("harness_deployment_configuration") or {})}

    def set_(self: Any, value: Any) -> None:
        if isinstance(value, dict):
            kept = self.__dict__.get("harness_deployment_configuration") or {}
            self.__dict__["harness_deployment_configuration"] = {**kept, **value}

    Service.deployment_configuration = property(get, set_)  # type: ignore[attr-defined]

    original_create_service = EC2ContainerServiceResponse.create_service

    def create_service(self: EC2ContainerServiceResponse) -> Any:
        answer = original_create_service(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        service.deployment_configuration = self._get_param("deploymentConfiguration")
        return answer

    EC2ContainerServiceResponse.create_service = create_service  # type: ignore[method-assign]
    # UpdateService sets `deployment_configuration` itself: moto sets every parameter it is given.

    def from_template(original: Any) -> Any:
        def wrapped(cls: Any, *args: Any, **kwargs: Any) -> Any:
            service = original(cls, *args, **kwargs)
            # create is called with (name, json, …) positionally; update with keywords.
            template_json = kwargs["cloudformation_json"] if "cloudformation_json" in kwargs else args[1]
            configuration = (template_json.get("Properties") or {}).get("DeploymentConfiguration")
            if configuration:
                service.deployment_configuration = remap_nested_keys(configuration, pascal_to_camelcase)
            return service

        return classmethod(wrapped)

    Service.create_from_cloudformation_json = from_template(Service.create_from_cloudformation_json.__func__)  # type: ignore[attr-defined,method-assign]
    Service.update_from_cloudformation_json = from_template(Service.update_from_cloudformation_json.__func__)  # type: ignore[attr-defined,method-assign]


# --- reading moto's state ------------------------------------------------------------------------------------


def _ecs_backends() -> Iterator[tuple[str, str, Any]]:
    from moto.ecs.models import ecs_backends

    # keys(): only the backends requests have created; indexing others would create them.
    for account_id in list(ecs_backends.keys()):
        regions = ecs_backends[account_id]
        for region_name in list(regions.keys()):
            yield account_id, region_name, regions[region_name]


def _service_tasks(service: Any) -> list[Any]:
    group = f"service:{service.name}"
    tasks = service._backend.tasks.get(service.cluster_name, {}).values()
    return [t for t in tasks if t.group == group and t.desired_status == "RUNNING" and t._status in LIVE]


def _live_on(backend: Any, container_instance: Any) -> list[Any]:
    tasks = backend.tasks.get(container_instance.cluster_name, {}).values()
    arn = container_instance.container_instance_arn
    return [t for t in tasks if t.container_instance_arn == arn and t.desired_status == "RUNNING" and t._status in LIVE]


def _desired(service: Any) -> int:
    return int(service.desired_count or 0) if service.status == "ACTIVE" else 0


def _task_definition(service: Any) -> Any:
    if not service.task_definition:
        return None
    try:
        return service._backend.describe_task_definition(service.task_definition)
    except Exception:  # deleted, or a name moto cannot resolve: nothing to place
        return None


def _task_definition_arn(service: Any) -> str | None:
    definition = _task_definition(service)
    return definition.arn if definition is not None else None


def _cluster_in_user_data(instance: Any) -> str | None:
    data = instance.user_data
    if isinstance(data, list):
        data = data[0] if data else None
    if data is None:
        return None
    try:
        text = data.decode() if hasattr(data, "decode") and not isinstance(data, bytes) else base64.b64decode(data).decode()
    except Exception:
        return None
    found = re.search(r"ECS_CLUSTER=([A-Za-z0-9_-]+)", text)
    return found.group(1) if found else None


# --- resources -----------------------------------------------------------------------------------------------


def _requirements(task_definition: Any) -> dict[str, Any]:
    """CPU, memory and fixed host ports a task needs; host port 0 (bridge) is dynamic and reserves none.

    Reads both key spellings: moto's CloudFormation update stores PascalCase without `task-definition-update`.
    """
    cpu = memory = 0
    ports: list[str] = []
    for container in task_definition.container_definitions:
        cpu += int(container.get("cpu", container.get("Cpu")) or 0)
        memory += int(
            container.get("memory") or container.get("Memory") or container.get("memoryReservation") or container.get("MemoryReservation") or 0
        )
        for mapping in container.get("portMappings", container.get("PortMappings")) or []:
            host = mapping.get("hostPort", mapping.get("HostPort"))
            if task_definition.network_mode == "host" and host is None:
                host = mapping.get("containerPort", mapping.get("ContainerPort"))
            if host not in (None, 0, "0"):
                ports.append(str(host))
    cpu = cpu or int(task_definition.cpu or 0)
    memory = memory or int(task_definition.memory or 0)
    return {"CPU": cpu, "MEMORY": memory, "PORTS": ports, "PORTS_UDP": []}


def _registered_resources(instance_type: str) -> list[dict[str, Any]]:
    vcpus, mib = INSTANCE_TYPES.get(instance_type, (0, 0))
    cpu, memory = (vcpus * 1024, int(mib * 0.95)) if vcpus else UNKNOWN_TYPE
    return _resource_list({"CPU": cpu, "MEMORY": memory, "PORTS": list(RESERVED_PORTS), "PORTS_UDP": []})


def _resource_list(resources: dict[str, Any]) -> list[dict[str, Any]]:
    """moto's (and ECS's) shape of registeredResources and remainingResources."""
    def entry(name: str, kind: str, **value: Any) -> dict[str, Any]:
        return {"doubleValue": 0.0, "integerValue": 0, "longValue": 0, "name": name, "type": kind, **value}

    return [
        entry("CPU", "INTEGER", integerValue=resources["CPU"]),
        entry("MEMORY", "INTEGER", integerValue=resources["MEMORY"]),
        entry("PORTS", "STRINGSET", stringSetValue=resources["PORTS"]),
        entry("PORTS_UDP", "STRINGSET", stringSetValue=resources["PORTS_UDP"]),
    ]


def _remaining(container_instance: Any) -> dict[str, Any]:
    registered = {r["name"]: r for r in container_instance.registered_resources}
    cpu = registered["CPU"]["integerValue"]
    memory = registered["MEMORY"]["integerValue"]
    ports = list(registered["PORTS"].get("stringSetValue") or [])
    for task in _live_on(container_instance._backend, container_instance):
        needs = task.resource_requirements or {}
        cpu -= int(needs.get("CPU") or 0)
        memory -= int(needs.get("MEMORY") or 0)
        ports += [str(p) for p in needs.get("PORTS") or [] if str(p) != "0"]
    return {"CPU": cpu, "MEMORY": memory, "PORTS": ports, "PORTS_UDP": list(registered["PORTS_UDP"].get("stringSetValue") or [])}


def _fits(container_instance: Any, needs: dict[str, Any]) -> bool:
    left = _remaining(container_instance)
    return needs["CPU"] <= left["CPU"] and needs["MEMORY"] <= left["MEMORY"] and not set(needs["PORTS"]) & set(left["PORTS"])


# --- the agent and the scheduler -----------------------------------------------------------------------------


def _play(account_id: str, region_name: str, backend: Any, now: float, start_seconds: float) -> None:
    from moto.ec2.models import ec2_backends

    instances = {i.id: i for i in ec2_backends[account_id][region_name].all_instances()}
    _deregister_gone(backend, instances)
    _register_new(backend, instances, _group_lifecycle(account_id, region_name))
    # Until nothing changes: a stop can make room for a start, a start that runs can allow a stop.
    for _ in range(10):
        changed = _start_running(backend, now)
        for key in sorted(backend.services):
            changed |= _schedule(backend, backend.services[key], now, start_seconds)
        if not changed:
            return


def _group_lifecycle(account_id: str, region_name: str) -> dict[str, str]:
    from moto.autoscaling.models import autoscaling_backends

    if account_id not in autoscaling_backends.keys() or region_name not in autoscaling_backends[account_id].keys():
        return {}
    groups = autoscaling_backends[account_id][region_name].autoscaling_groups.values()
    return {s.instance.id: s.lifecycle_state for g in groups for s in g.instance_states}


def _register_new(backend: Any, instances: dict[str, Any], lifecycle: dict[str, str]) -> None:
    registered = {ci.ec2_instance_id for cis in backend.container_instances.values() for ci in cis.values()}
    for instance in instances.values():
        if instance._state.name != "running" or instance.id in registered:
            continue
        # Once per instance: one deregistered through the API stays out, as its agent would.
        if getattr(instance, "harness_ecs_registered", False):
            continue
        if lifecycle.get(instance.id, "InService").startswith("Pending"):
            continue
        cluster = _cluster_in_user_data(instance)
        if cluster is None or cluster not in backend.clusters:
            continue
        container_instance = backend.register_container_instance(cluster, instance.id)
        container_instance.registered_resources = _registered_resources(instance.instance_type)
        instance.harness_ecs_registered = True


def _deregister_gone(backend: Any, instances: dict[str, Any]) -> None:
    for cluster_name in list(backend.container_instances):
        if cluster_name not in backend.clusters:
            continue  # moto's "orphaned" pseudo-cluster
        members = backend.container_instances[cluster_name]
        for key, container_instance in list(members.items()):
            instance = instances.get(container_instance.ec2_instance_id)
            if instance is not None and instance._state.name in ("pending", "running"):
                continue
            for task in _live_on(backend, container_instance):
                _stop(task, f"Host EC2 (instance {container_instance.ec2_instance_id}) terminated.")
            container_instance.status = "INACTIVE"
            del members[key]


def _start_running(backend: Any, now: float) -> bool:
    changed = False
    for tasks in backend.tasks.values():
        for task in tasks.values():
            due = getattr(task, "harness_running_at", None)
            if task._status == "PENDING" and task.desired_status == "RUNNING" and due is not None and due <= now:
                task._status = "RUNNING"
                changed = True
    return changed


def _schedule(backend: Any, service: Any, now: float, start_seconds: float) -> bool:
    """One pass of the service scheduler for one service; True if it started or stopped a task."""
    cluster = backend.clusters.get(service.cluster_name)
    if cluster is None or service.scheduling_strategy != "REPLICA" or (service.launch_type or "EC2") != "EC2":
        return False
    desired = _desired(service)
    definition = _task_definition(service)
    members = {ci.container_instance_arn: ci for ci in backend.container_instances.get(cluster.name, {}).values()}

    def replaced(task: Any) -> bool:
        host = members.get(task.container_instance_arn)
        stale = definition is not None and task.task_definition_arn != definition.arn
        return host is None or host.status != "ACTIVE" or stale

    tasks = _service_tasks(service)
    keep = [t for t in tasks if not replaced(t)]
    old = [t for t in tasks if replaced(t)]
    configuration = service.deployment_configuration
    fewest_running = math.ceil(desired * int(configuration["minimumHealthyPercent"]) / 100)
    most_live = math.floor(desired * int(configuration["maximumPercent"]) / 100)
    changed = False

    # Scale in: pending ones first, then the newest.
    for task in sorted(keep, key=lambda t: (t._status != "PENDING", -getattr(t, "harness_seq", 0)))[: max(0, len(keep) - desired)]:
        _stop(task, "Scaling activity initiated by (deployment).")
        keep.remove(task)
        changed = True

    if definition is not None:
        room = most_live - len(keep) - len(old)
        for _ in range(max(0, min(desired - len(keep), room))):
            task = _place(backend, cluster, service, definition, now + start_seconds)
            if task is None:
                break
            keep.append(task)
            changed = True

    running = sum(1 for t in keep + old if t._status == "RUNNING")
    for task in sorted(old, key=lambda t: t._status == "RUNNING"):
        if task._status == "RUNNING":
            if running - 1 < fewest_running:
                continue
            running -= 1
        host = members.get(task.container_instance_arn)
        draining = host is not None and host.status == "DRAINING"
        _stop(task, "Container instance is DRAINING." if draining else "Task replaced by a new deployment of the service.")
        changed = True
    return changed


def _place(backend: Any, cluster: Any, service: Any, definition: Any, running_at: float) -> Any:
    """Starts one of the service's tasks, spread by instance; None if no ACTIVE instance has room."""
    from moto.ecs.models import Task

    needs = _requirements(definition)
    group = f"service:{service.name}"
    members = list(backend.container_instances.get(cluster.name, {}).values())
    candidates = [(index, ci) for index, ci in enumerate(members) if ci.status == "ACTIVE" and _fits(ci, needs)]
    if not candidates:
        return None

    def load(candidate: tuple[int, Any]) -> tuple[int, int, int]:
        index, ci = candidate
        tasks = _live_on(backend, ci)
        return (sum(1 for t in tasks if t.group == group), len(tasks), index)

    _, host = min(candidates, key=load)
    deployments = service.deployments
    task = Task(
        cluster,
        definition,
        host.container_instance_arn,
        needs,
        backend=backend,
        group=group,
        launch_type="EC2",
        started_by=deployments[0]["id"] if deployments else "ecs-svc/harness",
        networking_configuration=service.network_configuration or None,
    )
    # The agent owns this task's status: moto would otherwise move it toward STOPPED as it is described.
    task._transitions = []
    task._status = "PENDING"
    task.harness_running_at = running_at
    task.harness_seq = next(_sequence)
    backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
    return task


def _stop(task: Any, reason: str) -> None:
    task.desired_status = "STOPPED"
    task._status = "STOPPED"
    task.stopped_reason = reason
