"""A pack with one trivial resource rule and one trivial stack rule: the benchmark floor.

Its cost per call is the protocol's own (process, gRPC, property deserialisation),
so `bench/bench_pack_grpc.py` can tell how much agent_guard's rules add.
"""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy


def _no_forbidden_name(args, report_violation):
    if args.name == "forbidden":
        report_violation("resources may not be named 'forbidden'")


def _stack_not_empty(args, report_violation):
    if not args.resources:
        report_violation("the stack declares no resources")


PolicyPack(
    name="trivial-pack",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(name="trivial-name", description="No resource is named 'forbidden'.",
                                 validate=_no_forbidden_name),
        StackValidationPolicy(name="trivial-stack", description="The stack declares at least one resource.",
                              validate=_stack_not_empty),
    ],
)
