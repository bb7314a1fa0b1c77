"""The gate's steps, in order, and the verdict they lead to.

1. Find the project (`Pulumi.yaml`) and read the stack's config.
2. Run the program under mocks in a child process (`program.run_isolated`).
3. Load the stack's agent file for the inventory summary and SARIF locations.
4. Run each policy pack over every resource (`analysis.PackSession`), streaming
   resources to the packs while the program still runs; add the gate's own findings on the invokes
   the program called (`credential_invokes`: credentials minted with the deployer's identity), which no pack sees.

5. Hold the pull request to the gate's floor (issue 11, "Integrity"): a critical
   policy stays mandatory and no policy drops below its pack's default level,
   whatever the stack file or a config file says, and a rule setting there applies only when at
   least as strict as the trusted one (pack default, or the base branch's waiver file) (`enforce_floor`); with
   `strict_unknowns` a mandatory policy that could not read a value unknown at
   preview blocks; waivers (`waivers.py`) accept named violations, an expired one blocks.

Exit code: 0 when no mandatory violation, 1 when there is one (or an expired
waiver), 2 when no verdict could be reached (project/config/spec/program error,
a pack that crashed, hung or answered nonsense, or a stack with nothing to judge:
no resources, or every resource's inputs unknown at preview). Nothing is ever
reported as passing unless every step ran to the end.
"""

from __future__ import annotations

import json
import re
import time
from contextlib import ExitStack
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from agentid import pack_fork
from agentid.analyzer_client import AnalyzerInfo, PackError
from agentid.mock_engine import MOCK_ACCOUNT, MOCK_SUBSCRIPTION, MOCK_TENANT, no_collections
from agentid.preview import (adopted_objects, cloaking, credential_invokes, out_of_band, program_fork, project_runtime, sandbox,
                             secrets_provider, startup_code, trusted_issuers, waivers)
from agentid.preview.analysis import MANDATORY_LEVELS, PackRun, PackSession, Violation
from agentid.preview.attribution import attribute
from agentid.preview.autonames import AutonameKey
from agentid.preview.pack_config import parse_config, read_config_file, reconcile
from agentid.preview.program import ProgramError, Resource, run_isolated
from agentid.preview.references import StackReferences, parse_outputs_options
from agentid.preview.sandbox import Isolation
from agentid.preview.waivers import WaiverFinding, WaiverSource
from agentid.today import today as today_of
from agentid_components.loader import SpecError
from agentid_policy_packs.analysis.aws_accounts import MOCK_ACCOUNTS_ENV
from agentid_policy_packs.rules.azure_foreign_subscription import MOCK_SUBSCRIPTIONS_ENV
from agentid_policy_packs.rules.federated_issuer_known import MOCK_TENANTS_ENV
from agentid_policy_packs.analysis.values import is_unknown
from agentid_policy_packs.rules import strictness
from agentid_policy_packs.rules.preload import PRELOAD_ENV
from agentid_policy_packs.rules.pack_settings import ALL
from agentid.preview.stack_config import (POLICY_PACK_CONFIG_KEY, ConfigError, Project, StackConfig, find_project,
                                         load_stack_config, require_python_runtime, stack_agents_file)

DEFAULT_PACK_NAME = "agent_guard"  # the pack installed with the kit: never a copy from the judged project's tree
DEFAULT_PACK = DEFAULT_PACK_NAME
EXIT_PASS, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
GATE_VERSION = "0.1.0"  # the version the gate's own findings (credential_invokes) are reported under, as SARIF's tool


class Progress(Protocol):
    """What the runner reports while it works (a rich progress bar on a terminal, plain lines otherwise)."""

    def step(self, text: str, total: int | None = None) -> None: ...

    def advance(self) -> None: ...


class _Silent:
    def step(self, text: str, total: int | None = None) -> None:
        pass

    def advance(self) -> None:
        pass


@dataclass
class PreviewRequest:
    stack: str = "dev"
    pack_dirs: Sequence[str] = ()  # empty: the default pack
    pack_config_files: Sequence[str] = ()  # paired with pack_dirs by position, like `pulumi --policy-pack-config`
    timeout: float = 300.0  # for the program run, a pack's start and each pack call
    start_dir: str | None = None  # where to look for Pulumi.yaml (default: the working directory)
    strict_unknowns: bool = False  # a mandatory policy that cannot check a value unknown at preview blocks
    waivers_file: str | None = None  # default: waivers.yaml at the project root, when it exists
    waivers_ref: str | None = None  # read the waivers from this git revision (CI: the base branch)
    today: str | None = None  # YYYY-MM-DD for waiver expiry (default $AGENTID_TODAY, else the UTC date)
    max_waiver_days: int = waivers.DEFAULT_MAX_DAYS  # --max-waiver-days: the longest a waiver may run from today
    allowed_secrets_providers: Sequence[str] = ()  # --allow-secrets-provider: exact stack `secretsprovider` URLs
    reference_projects: Sequence[str] = ()  # other projects' directories, for StackReferences to their stacks
    stack_outputs: Sequence[str] = ()  # NAME=FILE: a referenced stack's deployed outputs instead of its preview
    backend_urls: Sequence[str] = ()  # the state backends the operator accepts in Pulumi.yaml `backend.url`
    require_sandbox: bool = False  # no sandbox for the program (sandbox.py) is an error, not a warning
    own_accounts: Sequence[str] = ()  # --own-account: the stack's AWS accounts, a trusted pack-wide ownAccountIds
    # --own-organization, --own-vpc, --own-vpc-endpoint: trusted pack-wide ownOrganizationIds, ownVpcIds,
    # ownVpcEndpointIds (analysis.aws_trust.OWNED_ID_KEYS: which pins confine a Principal "*" grant); --own-s3-bucket:
    # ownS3Buckets (whose a bucket named only by its name is: rules.aws_buckets)
    own_aws_ids: dict[str, Sequence[str]] = field(default_factory=dict)
    trusted_issuers: Sequence[str] = ()  # OIDC issuers the gate operator runs (trusted_issuers.py): trusted baseline
    own_gcp_domains: Sequence[str] = ()  # --own-gcp-domain: a trusted pack-wide ownGcpDomains
    own_gcp_projects: Sequence[str] = ()  # --own-gcp-project: a trusted pack-wide ownGcpProjects
    own_tenants: Sequence[str] = ()  # --own-tenant: a trusted pack-wide ownTenantIds (Entra tenant GUIDs)
    own_subscriptions: Sequence[str] = ()  # --own-subscription: a trusted pack-wide ownSubscriptionIds (GUIDs)
    own_hosts: Sequence[str] = ()  # --own-host: a trusted pack-wide ownHosts (AGID-GCP-033's push / event endpoints)
    # --trusted-repository-owner, --trusted-gitlab-group, ...: own tenants of multi-tenant OIDC platforms, by
    # pack-wide setting (trustedRepositoryOwners, ...; analysis/oidc_issuers.yaml `tenants`, AGID-GEN-006)
    trusted_tenants: dict[str, Sequence[str]] = field(default_factory=dict)


@dataclass
class PreviewResult:
    stack: str
    project: Project | None = None
    config: StackConfig | None = None
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    agent_of: dict[str, str | None] = field(default_factory=dict)
    cloud_of: dict[str, str | None] = field(default_factory=dict)
    inventory: Any = None  # agentid_components.loader.LoadedInventory, when the stack's agent file loads
    agents_file: str | None = None  # relative to the project root
    packs: list[PackRun] = field(default_factory=list)
    error: str | None = None
    error_kind: str | None = None  # config | spec | program | pack | internal
    spec_problems: list[SpecError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: "program", "pack:<name>"
    floor_notes: list[str] = field(default_factory=list)  # config the gate refused to lower a policy with
    waivers: WaiverSource | None = None
    waiver_findings: list[WaiverFinding] = field(default_factory=list)
    program_warnings: list[str] = field(default_factory=list)  # warnings the program logged to the engine
    cloaking: list[str] = field(default_factory=list)  # where the program's source asks if it runs at preview (advisory)
    secret_reads: list[str] = field(default_factory=list)  # `secure:` keys the program read as plain text (see below)
    # program lines whose apply callback never ran: its value was unknown at preview (see unknown_applies below)
    unknown_applies: list[str] = field(default_factory=list)
    strict_unknowns: bool = False  # the request's --strict-unknowns: a secure value read as plain text blocks
    stack_references: dict[str, str] = field(default_factory=dict)  # reference name -> how it was answered
    # why no pack had anything to judge, when a blocking finding (a credential invoke) decides the verdict anyway
    nothing_judged: str | None = None
    isolation: Isolation | None = None  # whether the program ran in the sandbox, or why not
    _by_urn: dict[str, Resource] = field(default_factory=dict, repr=False)

    @property
    def violations(self) -> list[Violation]:
        return [v for pack in self.packs for v in pack.violations]

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]

    @property
    def waived(self) -> list[Violation]:
        return [v for v in self.violations if v.waiver is not None]

    @property
    def exit_code(self) -> int:
        if self.error:
            return EXIT_ERROR
        blocking = (self.mandatory or any(f.blocking for f in self.waiver_findings)
                    or (self.strict_unknowns and bool(self.secret_reads or self.unknown_applies)))
        return EXIT_VIOLATIONS if blocking else EXIT_PASS

    @property
    def verdict(self) -> str:
        return {EXIT_PASS: "pass", EXIT_VIOLATIONS: "fail", EXIT_ERROR: "error"}[self.exit_code]

    def resource(self, urn: str) -> Resource | None:
        if len(self._by_urn) != len(self.resources):
            self._by_urn = {r.urn: r for r in self.resources}
        return self._by_urn.get(urn)


def run_preview(request: PreviewRequest, progress: Progress | None = None) -> PreviewResult:
    progress = progress or _Silent()
    result = PreviewResult(stack=request.stack, strict_unknowns=request.strict_unknowns)
    # Before anything of the judged project is read and before any gRPC channel or thread exists: the packs'
    # processes, forked from this interpreter (which has imported pulumi, gRPC and protobuf), waiting for their
    # command lines (agentid/pack_fork.py; none where that is not sound: packs then start as new interpreters).
    prepared, _why_not = pack_fork.prefork(len(request.pack_dirs or [DEFAULT_PACK]))
    # likewise the program's process, in the sandbox it builds itself (program_fork.py; None where not sound)
    program, _why_not = program_fork.prefork()
    # Only now, both forks done: the key the mocks draw autonames with, in this process's heap alone (autonames.py)
    key = AutonameKey()
    try:
        _run(request, result, progress, prepared, program, key)
    except ConfigError as error:
        result.error, result.error_kind = str(error), "config"
    except ProgramError as error:
        result.error = error.reason
        result.error_kind = "spec" if error.spec_problems else "program"
        result.spec_problems = error.spec_problems
    except PackError as error:
        result.error, result.error_kind = str(error), "pack"
        result.packs = []  # a partial verdict is no verdict
    except Exception as error:  # noqa: BLE001 - a bug of the gate itself is no verdict either, never a pass
        result.error, result.error_kind = f"{type(error).__name__}: {error}", "internal"
        result.packs = []
    finally:
        for child in prepared:  # those no pack session launched (a config error, fewer packs)
            child.discard()
        if program is not None:  # not launched: an error before the program ran, or a run it does not fit
            program.discard()
    if result.error:  # a refusal or the program's own error may quote a keyed autoname
        result.error = key.unkeyed(result.resources).text(result.error)
    return result


def _run(request: PreviewRequest, result: PreviewResult, progress: Progress,
         prepared: Sequence[pack_fork.PreforkedPack] = (), program: Any = None,
         key: AutonameKey | None = None) -> None:
    key = key or AutonameKey()
    project = result.project = find_project(request.start_dir)
    require_python_runtime(project)
    project_runtime.require_trusted_backend(project, request.backend_urls)
    startup_code.check(project)  # a virtualenv's start-up code the pull request provides (red21 r21-7)
    config = result.config = load_stack_config(project, request.stack)
    pack_dirs = [_pack_dir(project, d) for d in (request.pack_dirs or [DEFAULT_PACK])]
    result.floor_notes.extend(_pack_origin_notes(project, pack_dirs))
    if len(request.pack_config_files) > len(pack_dirs):
        raise ConfigError(f"{len(request.pack_config_files)} --policy-pack-config files for {len(pack_dirs)} "
                          "policy packs: each config file goes with the --policy-pack at the same position")
    file_configs = [read_config_file(f) for f in request.pack_config_files]
    own_accounts = checked_accounts(request.own_accounts)
    own_gcp = checked_gcp(request.own_gcp_domains, request.own_gcp_projects)
    own_gcp.update(checked_tenants(request.trusted_tenants))
    own_gcp.update(checked_aws_ids(request.own_aws_ids))
    own_gcp.update(checked_hosts(request.own_hosts))
    own_gcp.update(checked_entra_tenants(request.own_tenants))
    own_gcp.update(checked_subscriptions(request.own_subscriptions))
    try:
        today = today_of(request.today)
    except ValueError as error:  # --today / AGENTID_TODAY that is not a date
        raise ConfigError(str(error)) from None
    result.waivers = waivers.load(project.root, request.waivers_file, request.waivers_ref)
    waivers.check_lifetimes(result.waivers, today, request.max_waiver_days)
    # the key service `pulumi up` hands the deployer's credentials to, named by the stack file (red21 r21-6)
    secrets_provider.check(project, config.file, secrets_provider.Own.of(
        own_accounts, own_gcp.get("ownGcpProjects", ()), own_gcp.get("ownHosts", ()),
        request.allowed_secrets_providers, secrets_provider.trusted_configs(result.waivers.settings)))
    operator_issuers = trusted_issuers.checked(request.trusted_issuers)
    if result.waivers.settings and request.waivers_ref is None:  # like waivers without a ref: trusted, but said so
        result.floor_notes.append(f"{waivers.SETTINGS_KEY} in {result.waivers.origin} is read from the working tree "
                                  "and may loosen rules: in CI read it from the base branch with --waivers-from-ref")
    if result.waivers.proposed_settings:
        result.floor_notes.append(f"{waivers.SETTINGS_KEY} in the working tree's waiver file differs from "
                                  f"{result.waivers.origin}: the change is proposed and applies once merged")

    isolation = result.isolation = sandbox.isolation()
    if not isolation.sandboxed and request.require_sandbox:
        raise ConfigError(f"--require-sandbox: the program cannot be sandboxed here ({isolation.reason})")

    # The packs start before the program and, when it is sandboxed (it cannot reach them), judge each
    # resource as soon as it registers.
    env = _engine_env(project, config, isolation)
    with ExitStack() as cleanup:
        # The gate keeps every registration and answer until the verdict: the collector's default
        # thresholds re-scan them over and over (5.4 s of 30 s of the gate's CPU at 1,000 agents).
        cleanup.enter_context(no_collections())
        sessions = []
        for index, pack_dir in enumerate(pack_dirs):
            def trusted(info: AnalyzerInfo, pack_dir: Path = pack_dir) -> tuple[dict, str]:
                origin = f"{result.waivers.origin} ({waivers.SETTINGS_KEY}.{info.name})"
                base = parse_config(result.waivers.pack_settings(info.name, pack_dir.name), origin)
                base = with_own_accounts(base, own_accounts)
                for key, values in own_gcp.items():
                    base = with_pack_wide(base, key, values)
                return trusted_issuers.add_to(info.policies, base, operator_issuers), origin

            def config_for(info: AnalyzerInfo, index: int = index, pack_dir: Path = pack_dir) -> tuple[dict, str]:
                given, origin = _pack_config(config, info, pack_dir, file_configs, index, project)
                base, base_origin = trusted(info)  # the pull request's entries go on top of the trusted ones
                reconcile(info, base, base_origin)  # a bad trusted value is reported as the waiver file's
                return {p: {**base.get(p, {}), **given.get(p, {})} for p in {*base, *given}}, origin

            def floor(info: AnalyzerInfo, reconciled: dict) -> dict:
                raised, notes = enforce_floor(info, reconciled, reconcile(info, *trusted(info)))
                result.floor_notes.extend(notes)
                return raised

            session = PackSession(pack_dir, env=env, timeout=request.timeout, config_for=config_for,
                                  on_resource_done=progress.advance, adjust_config=floor,
                                  prepared=prepared[index] if index < len(prepared) else None,
                                  autoname_key=key.key)
            cleanup.callback(session.close)
            sessions.append(session)

        # The agent file (for the summary and SARIF locations) is read while the packs start, before the
        # program runs: 2 s of the gate's CPU at 1,000 agents that no longer follow the program's end.
        _load_inventory(project, config, result)
        # Read before the program runs: unsandboxed, it could rewrite its own source before the gate looks.
        result.cloaking = cloaking.scan(project.root, _not_the_program(project))

        # Unsandboxed, the packs load their rules and data before the program starts: the program can write
        # files as this user, and nothing a pack reads may be the program's version. In the sandbox it can
        # write none of them and reach no pack, so the packs finish starting while the program runs (issue 17:
        # their ~1.6 s start-up no longer adds to the wall time); resources it registers meanwhile queue.
        if not isolation.sandboxed:
            for session in sessions:
                session.wait_ready()

        def judge(resource: Resource) -> None:
            for session in sessions:
                session.submit(resource)

        progress.step(f"running {project.relative(project.program_file)} for stack {request.stack}, "
                      f"judging each resource with {len(sessions)} policy pack{'s' * (len(sessions) != 1)}")
        started_at = time.perf_counter()
        references = StackReferences(project, request.timeout, [Path(d) for d in request.reference_projects],
                                     parse_outputs_options(request.stack_outputs), (f"{project.name}/{request.stack}",))
        # Unsandboxed, the program can reach the packs' loopback ports and send `Configure`: the packs then
        # judge only once every process of the run is gone (run_isolated), with the trusted config sent again.
        # The program reads the clock or draws chance: after the first run it runs again with the wall clock moved
        # ahead. Whenever runs are compared (that, or a dry-run branch), every run draws the same randomness and
        # hashes strings alike: a uuid4 in a tag or a set's order is no difference between runs.
        by_the_clock = cloaking.reads_clock_or_chance(result.cloaking)
        seed = cloaking.SEED if by_the_clock or cloaking.asks_dry_run(result.cloaking) else None
        try:
            try:
                outcome = run_isolated(project, request.stack, config.values, timeout=request.timeout,
                                       on_resource=judge if isolation.sandboxed else None,
                                       stack_references=references, isolation=isolation,
                                       validated_spec=result.inventory, secret_keys=config.secret_keys, seed=seed,
                                       autoname_key=key.key,
                                       prepared=program)
            except (ProgramError, ConfigError):
                for session in sessions:  # a pack that could not start is reported first, as when it was awaited
                    session.wait_ready()
                raise
            if cloaking.asks_dry_run(result.cloaking):
                # The program branches on "is this a preview?": run it again as `pulumi up` runs it and judge
                # what only that run registers, so the branch hides nothing the mocks can answer.
                update = run_isolated(project, request.stack, config.values, timeout=request.timeout,
                                      on_resource=judge if isolation.sandboxed else None, stack_references=references,
                                      isolation=isolation, dry_run=False, validated_spec=result.inventory,
                                      secret_keys=config.secret_keys, seed=seed, autoname_key=key.key)
                outcome, note = cloaking.with_update_run(outcome, update)
                result.cloaking.append(note)
            if by_the_clock:
                # a time bomb (issue 11.3): run as a `pulumi up` after the cut-off would (is_dry_run() false too
                # when the program asks), judge what only that run registers; other inputs: no verdict
                for label, shift in cloaking.CLOCK_SHIFTS:
                    later = run_isolated(project, request.stack, config.values, timeout=request.timeout,
                                         on_resource=judge if isolation.sandboxed else None,
                                         stack_references=references, isolation=isolation,
                                         dry_run=not cloaking.asks_dry_run(result.cloaking),
                                         validated_spec=result.inventory, secret_keys=config.secret_keys,
                                         clock_shift=shift, seed=seed, autoname_key=key.key)
                    outcome, note = cloaking.with_clock_run(outcome, later, label)
                    result.cloaking.append(note)
        finally:
            result.stack_references = {name: answer.source for name, answer in sorted(references.answered.items())}
        if not isolation.sandboxed:
            for session in sessions:
                session.reconfigure()
        result.timings["program"] = time.perf_counter() - started_at
        result.resources, result.outputs = outcome.resources, outcome.outputs
        result.program_warnings, result.secret_reads = secret_reads(outcome.warnings, config.secret_keys)
        result.program_warnings, result.unknown_applies = unknown_applies(result.program_warnings)
        result.agent_of, result.cloud_of = attribute(result.resources)

        progress.step(f"finishing the analysis of {len(result.resources)} resources", total=None)
        judged_stack = outcome.judged_stack()  # the stack's outputs and components' registered outputs too
        for session in sessions:
            started_at = time.perf_counter()
            result.packs.append(session.finish(result.resources, judged_stack))
            result.timings[f"pack:{result.packs[-1].name}"] = time.perf_counter() - started_at
        # The invokes the program called, which no pack sees (the engine sends packs resources only).
        # and the existing resources it read (Resource.get), likewise unseen by packs: secrets read (r19-9)
        gate = credential_invokes.findings(outcome.invokes, outcome.stack_urn, GATE_VERSION, reads=outcome.reads)
        # What the program did outside the engine's channel: cloud calls, processes, credentials (issue 11).
        attempts = [*outcome.out_of_band,
                    *out_of_band.in_stack(result.resources, outcome.stack_output_values, project.root)]
        outside = out_of_band.findings(attempts, outcome.out_of_band_dropped, outcome.stack_urn, GATE_VERSION)
        # Existing objects the program adopts (import_), which no pack is told about (red17 r17-5).
        adopted = adopted_objects.findings(result.resources, GATE_VERSION)
        gate = _gate_findings(gate, outside, adopted)
        if gate is not None:
            result.packs.append(gate)
    _unkeyed(result, key)
    _judge(request, result, today)


def _unkeyed(result: PreviewResult, key: AutonameKey) -> None:
    """The run's results with every keyed autoname in its deterministic form (autonames.py): what the gate judges
    itself from here on (waiver fingerprints) and writes is the same in every run."""
    unkeyed = key.unkeyed(result.resources)
    if not unkeyed.pairs:
        return
    result.resources = [unkeyed.resource(r) for r in result.resources]
    result._by_urn = {}
    result.outputs = unkeyed.value(result.outputs)
    result.program_warnings = unkeyed.value(result.program_warnings)
    result.secret_reads = unkeyed.value(result.secret_reads)
    result.unknown_applies = unkeyed.value(result.unknown_applies)
    result.packs = [replace(pack, violations=tuple(sorted(  # in the order PackSession.finish gives, now stable
        (replace(v, message=unkeyed.text(v.message), description=unkeyed.text(v.description))
         for v in pack.violations), key=lambda v: (v.urn, v.policy, v.message)))) for pack in result.packs]


def _gate_findings(*runs: PackRun | None) -> PackRun | None:
    """The gate's own findings (AGID-GATE-001, -002, -003) as one "pack" run: one SARIF tool, one JUnit suite."""
    present = [run for run in runs if run is not None]
    if not present:
        return None
    return replace(present[0], policies=tuple(p for run in present for p in run.policies),
                   violations=tuple(v for run in present for v in run.violations))


# agentid.preview.language_host.SECRET_READ_PREFIX (not imported: that module is the program's process's)
SECRET_READ_PREFIX = "agentid preview: secure config read as plain text: "


def secret_reads(warnings: list[str], secret_keys: Sequence[str]) -> tuple[list[str], list[str]]:
    """The program's warnings without the language host's notes of `secure:` values read as plain text, and those
    notes (`key (getter)`), sorted. Offline the gate cannot decrypt a secure value: the program got a placeholder,
    so what it does with the real value (a branch creating an admin key) is not judged. Reading it with
    get_secret/require_secret keeps it an Output passed to resources. A note naming a key that is not secure (the
    program can log anything) is kept: it only makes the gate stricter."""
    notes = sorted({w.removeprefix(SECRET_READ_PREFIX) for w in warnings if w.startswith(SECRET_READ_PREFIX)})
    return [w for w in warnings if not w.startswith(SECRET_READ_PREFIX)], notes


# agentid.preview.language_host.UNKNOWN_APPLY_PREFIX
UNKNOWN_APPLY_PREFIX = "agentid preview: apply callback not run on a value unknown at preview: "


def unknown_applies(warnings: list[str]) -> tuple[list[str], list[str]]:
    """The warnings without the language host's notes of program apply callbacks the SDK skipped because their
    value was unknown at preview, and those notes (`file:line`), sorted. Whatever such a callback registers or
    invokes at `pulumi up` is never judged here (cannot check)."""
    notes = sorted({w.removeprefix(UNKNOWN_APPLY_PREFIX) for w in warnings if w.startswith(UNKNOWN_APPLY_PREFIX)})
    return [w for w in warnings if not w.startswith(UNKNOWN_APPLY_PREFIX)], notes


_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


def checked_accounts(accounts: Sequence[str]) -> list[str]:
    """`--own-account` values, each a 12-digit AWS account id (ConfigError naming the first that is not)."""
    for account in accounts:
        if not _ACCOUNT_ID.match(account):
            raise ConfigError(f"--own-account {account!r}: not an AWS account id (12 digits, e.g. 111122223333)")
    return list(dict.fromkeys(accounts))


def with_own_accounts(trusted: dict[str, dict[str, Any]], accounts: list[str]) -> dict[str, dict[str, Any]]:
    """The trusted config with `accounts` joined to its pack-wide ownAccountIds (pack_settings: every rule that
    takes ownAccountIds gets them). The command line is the gate's side: the pull request cannot change it."""
    return with_pack_wide(trusted, "ownAccountIds", accounts)


def with_pack_wide(trusted: dict[str, dict[str, Any]], key: str, values: list[str]) -> dict[str, dict[str, Any]]:
    """The trusted config with `values` joined to its pack-wide list `key` (pack_settings.PACK_WIDE)."""
    if not values:
        return trusted
    entry = dict(trusted.get(ALL, {}))
    listed = entry.get(key) if isinstance(entry.get(key), list) else []
    entry[key] = list(dict.fromkeys([*listed, *values]))
    return {**trusted, ALL: entry}


_GCP_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# a project id (6-30 lower-case letters, digits, hyphens; a domain-scoped one `example.com:p`) or a project number
_GCP_PROJECT = re.compile(r"^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[0-9]{1,20}$")


# a tenant of a platform (a GitHub owner or owner id, a GitLab group path, an HCP Terraform or Azure DevOps
# organization): one name, no pattern, no separator the subjects use (`:`, `/`)
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def checked_tenants(tenants: dict[str, Sequence[str]]) -> dict[str, list[str]]:
    """`--trusted-repository-owner` etc. values by pack-wide setting (ConfigError naming the first bad one)."""
    from agentid_policy_packs.rules.federated_subject_own_tenant import platforms

    flags = {p.setting: p.flag.split()[0] for p in platforms()}
    checked: dict[str, list[str]] = {}
    for setting, values in tenants.items():
        if setting not in flags:
            raise ConfigError(f"{setting}: not a setting of own platform tenants ({', '.join(flags)})")
        for value in values:
            if not isinstance(value, str) or not _TENANT.match(value.strip()):
                raise ConfigError(f"{flags[setting]} {str(value)[:200]!r}: not one owner / group / organization name "
                                  "(letters, digits, '_', '.', '-'; no pattern)")
        checked[setting] = list(dict.fromkeys(v.strip() for v in values))
    return checked


# AWS id shapes: an organization o- + 10-32 lower-case letters/digits, a VPC vpc- and an endpoint vpce- + 8 or 17 hex
_AWS_IDS = {"ownOrganizationIds": ("--own-organization", re.compile(r"^o-[a-z0-9]{10,32}$")),
            "ownVpcIds": ("--own-vpc", re.compile(r"^vpc-[0-9a-f]{8,17}$")),
            "ownVpcEndpointIds": ("--own-vpc-endpoint", re.compile(r"^vpce-[0-9a-f]{8,17}$")),
            # a general purpose S3 bucket's name (its ARN names no account: aws_buckets.OwnBuckets, AGID-AWS-064/073)
            "ownS3Buckets": ("--own-s3-bucket", re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")),
            # the mail domains of the organisation (an Organizations account's root mailbox: AGID-AWS-075)
            "ownEmailDomains": ("--own-email-domain",
                                re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"))}


def checked_aws_ids(ids: dict[str, Sequence[str]]) -> dict[str, list[str]]:
    """`--own-organization` / `--own-vpc` / `--own-vpc-endpoint` / `--own-s3-bucket` / `--own-email-domain` values by
    pack-wide setting
    (ConfigError naming the first that is not such an id or name)."""
    checked: dict[str, list[str]] = {}
    for setting, values in ids.items():
        flag, pattern = _AWS_IDS[setting]
        for value in values:
            if not pattern.match(value.strip().lower()):
                raise ConfigError(f"{flag} {value!r}: not an id of that kind (e.g. o-a1b2c3d4e5, vpc-0a1b2c3d, "
                                  "vpce-0a1b2c3d4e5f60718, an S3 bucket name such as acme-reports-dev, or a "
                                  "mail domain such as acme.example)")
        checked[setting] = list(dict.fromkeys(v.strip().lower() for v in values))
    return checked


def checked_gcp(domains: Sequence[str], projects: Sequence[str]) -> dict[str, list[str]]:
    """`--own-gcp-domain` / `--own-gcp-project` values as pack-wide lists (ConfigError naming the first bad one)."""
    for flag, values, pattern in (("--own-gcp-domain", domains, _GCP_DOMAIN),
                                  ("--own-gcp-project", projects, _GCP_PROJECT)):
        for value in values:
            if not pattern.match(value.strip().lower()):
                raise ConfigError(f"{flag} {value!r}: not a {'domain' if 'domain' in flag else 'project id or number'}")
    return {"ownGcpDomains": list(dict.fromkeys(d.strip().lower() for d in domains)),
            "ownGcpProjects": list(dict.fromkeys(p.strip().lower() for p in projects))}


def checked_subscriptions(subscriptions: Sequence[str]) -> dict[str, list[str]]:
    """`--own-subscription` values as the pack-wide ownSubscriptionIds: Azure subscription ids (GUIDs; ConfigError
    naming the first that is not one). The gate's setting: the stack file's subscriptionId is the pull request's."""
    for value in subscriptions:
        if not _ENTRA_TENANT.match(value.strip().lower()):
            raise ConfigError(f"--own-subscription {value!r}: not an Azure subscription id (a GUID, e.g. "
                              "00000000-0000-0000-0000-0000000000da)")
    return {"ownSubscriptionIds": list(dict.fromkeys(s.strip().lower() for s in subscriptions))} if subscriptions else {}


_ENTRA_TENANT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def checked_entra_tenants(tenants: Sequence[str]) -> dict[str, list[str]]:
    """`--own-tenant` values as the pack-wide ownTenantIds: Entra tenant ids (GUIDs; ConfigError naming the first
    that is not one). The gate's setting: the stack file's tenantId is the pull request's, never an own tenant."""
    for value in tenants:
        if not _ENTRA_TENANT.match(value.strip().lower()):
            raise ConfigError(f"--own-tenant {value!r}: not an Entra tenant id (a GUID, e.g. "
                              "72f988bf-86f1-41af-91ab-2d7cd011db47)")
    return {"ownTenantIds": list(dict.fromkeys(t.strip().lower() for t in tenants))} if tenants else {}


def checked_hosts(hosts: Sequence[str]) -> dict[str, list[str]]:
    """`--own-host` values as the pack-wide ownHosts: DNS host names, no scheme, port, path or pattern (ConfigError
    naming the first that is not one)."""
    for value in hosts:
        if not _GCP_DOMAIN.match(value.strip().lower().rstrip(".")):
            raise ConfigError(f"--own-host {value!r}: not a host name (e.g. hooks.acme.example; no scheme, port or path)")
    return {"ownHosts": list(dict.fromkeys(h.strip().lower().rstrip(".") for h in hosts))}


def _judge(request: PreviewRequest, result: PreviewResult, today: Any) -> None:
    """The gate's own verdict over the packs' answers: strict unknowns, waivers, and "nothing was judged"."""
    packs = []
    secret_digests: dict[str, str] = {}  # URN -> its judged secrets' digest, computed once a resource

    def fingerprinted(violation: Violation) -> Violation:
        resource = result.resource(violation.urn) if violation.urn else None
        if resource is None:
            return replace(violation, finding=waivers.finding_fingerprint(violation.policy, violation.urn,
                                                                          violation.message))
        if resource.shown_inputs is not None and resource.urn not in secret_digests:
            secret_digests[resource.urn] = waivers.judged_secrets_digest(resource.urn, resource.inputs)
        return replace(violation, finding=waivers.finding_fingerprint(
            violation.policy, violation.urn, violation.message, resource.public_inputs,
            secret_digests.get(resource.urn, "")))

    for pack in result.packs:
        violations = tuple(fingerprinted(_strict(v, pack, request.strict_unknowns)) for v in pack.violations)
        packs.append(replace(pack, violations=violations))
    all_violations = [v for pack in packs for v in pack.violations]
    waived, result.waiver_findings = waivers.apply(
        all_violations, result.waivers or WaiverSource("", ()), stack=result.stack, today=today,
        name_of=lambda urn: (result.resource(urn).name if urn and result.resource(urn) else None))
    result.waiver_findings.sort(key=waivers.sort_key)
    result.floor_notes.sort()
    result.packs = [replace(pack, violations=tuple(replace(v, waiver=waived[v]) if v in waived else v
                                                   for v in pack.violations)) for pack in packs]
    emptiness = nothing_judged(result.resources)
    if emptiness and (result.mandatory or any(f.blocking for f in result.waiver_findings)):
        # A blocking finding needs no resource to stand (an invoke minting the deployer's token in a stack that
        # registers nothing): the verdict is FAIL, with what was not judged said beside it, not "no verdict".
        result.nothing_judged = emptiness
    elif emptiness:
        result.error, result.error_kind = emptiness, "nothing-judged"


def _strict(violation: Violation, pack: PackRun, strict: bool) -> Violation:
    """An unknown reported by a policy configured mandatory blocks under --strict-unknowns (the SDK sends it advisory)."""
    if not (strict and violation.unknown):
        return violation
    level = pack.config.get(violation.policy, {}).get("enforcementLevel", violation.enforcement_level)
    return replace(violation, enforcement_level=level) if level in MANDATORY_LEVELS else violation


# Rank of each enforcement level: a policy's config may raise it, never lower it below the floor.
_RANK = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}


def enforce_floor(info: AnalyzerInfo, config: dict[str, dict[str, Any]],
                  baseline: dict[str, dict[str, Any]] | None = None) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The config with no policy looser than its floor; one note per refused setting (what was asked, what stays).

    `config` is the pull request's reconciled config, `baseline` the trusted one (pack defaults and
    the base branch's settings; default: the pack's defaults). Levels: a critical policy stays
    mandatory, any other stays at least at its baseline level. Properties: a value applies only when
    at least as strict as the baseline's, in the direction the pack publishes in the property's schema
    (`strictness.KEYWORD`); a property with no published direction keeps the baseline value.
    """
    baseline = baseline if baseline is not None else reconcile(info, {}, info.name)
    adjusted, notes = {}, []
    for policy in info.policies:
        entry = dict(config.get(policy.name, {}))
        trusted = baseline.get(policy.name, {})
        floor = "mandatory" if policy.severity == "critical" else trusted.get("enforcementLevel", policy.enforcement_level)
        asked = entry.get("enforcementLevel", floor)
        if _RANK.get(asked, 0) < _RANK.get(floor, 0):
            entry["enforcementLevel"] = floor
            why = "critical policies stay mandatory" if policy.severity == "critical" else "the pack's default is the floor"
            notes.append(f"{info.name}/{policy.name}: config asks for {asked}; the gate keeps {floor} ({why}; "
                         "accept a violation with a waiver instead)")
        schema = policy.config_schema or {}
        for key in sorted(set(entry) - {"enforcementLevel"}):
            spec = schema.get(key) if isinstance(schema.get(key), dict) else {}
            kind = spec.get(strictness.KEYWORD)
            if key not in trusted:  # nothing trusted to compare with: only the pack's own default may stand
                entry.pop(key)
                notes.append(f"{info.name}/{policy.name}: config sets {key}, which has no default to hold it to; "
                             "the gate ignores it (set it in the base branch's waiver file)")
            elif not strictness.at_least_as_strict(kind, entry[key], trusted[key]):
                notes.append(f"{info.name}/{policy.name}: config asks for {key}={_shown(entry[key])}; the gate "
                             f"keeps {_shown(trusted[key])} (settings may tighten a rule, never loosen it: "
                             f"{_DIRECTION.get(kind, 'no direction declared')}; loosen it in the base branch's "
                             "waiver file)")
                entry[key] = trusted[key]
        adjusted[policy.name] = entry
    return {**config, **adjusted}, notes


def _shown(value: Any) -> str:
    """A setting as JSON, whole numbers without `.0` (the pack's schema defaults arrive as protobuf doubles)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value)


_DIRECTION = {"lower": "lower is stricter", "higher": "higher is stricter", "subset": "fewer entries is stricter",
              "superset": "more entries is stricter", True: "true is stricter", False: "false is stricter"}


def nothing_judged(resources: list[Resource]) -> str | None:
    """Why a stack gave the packs nothing to judge (no verdict), or None.

    No custom resource (components and providers only), or every custom resource's inputs
    entirely unknown at preview: a PASS there would vouch for what nobody has seen.
    """
    custom = [r for r in resources if r.custom and not r.type.startswith("pulumi:providers:")]
    if not custom:
        return (f"the stack registered no resources to judge ({len(resources)} components or providers): "
                "nothing was checked, so there is no verdict")
    hidden = [r for r in custom if r.inputs and all(is_unknown(value) for value in r.inputs.values())]
    if len(hidden) == len(custom):
        return (f"every one of the stack's {len(custom)} resources has only inputs unknown at preview: "
                "nothing could be checked, so there is no verdict")
    return None


def _pack_dir(project: Project, name: str) -> Path:
    """A pack directory: a bare name (`agent_guard`, `agent-guard`, as `pulumi policy` names packs) is ALWAYS the pack
    installed with the kit; anything else is a path (relative to the working directory, else to the project root).

    A bare name never resolves to a folder of the judged project: a pull request that added its own `agent_guard/`
    (a no-op pack with the same name) would otherwise choose its own judge. Raises ConfigError naming what is valid.
    """
    if _is_bare_name(name):
        found = installed_pack(name)
        if found is None:
            raise ConfigError(f"{name} is not a policy pack directory (a directory is given as a path: ./{name}) nor "
                              f"the name of an installed pack (installed: {', '.join(installed_packs()) or 'none'})")
        return found.resolve()
    path = Path(name)
    candidates = [path] if path.is_absolute() else [Path.cwd() / path, project.root / path]
    found = next((c for c in candidates if (c / "PulumiPolicy.yaml").is_file()), None)
    if found is None:
        raise ConfigError(f"{name} is not a policy pack directory (no PulumiPolicy.yaml in {candidates[-1]}) nor the "
                          f"name of an installed pack (installed: {', '.join(installed_packs()) or 'none'})")
    return found.resolve()


def _is_bare_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def _pack_origin_notes(project: Project, pack_dirs: list[Path]) -> list[str]:
    """One line per pack that is not the installed one but a directory inside the judged project (the pull request
    can rewrite it), and one when the installed agent_guard is not among the packs at all: the verdict is then only
    what those packs say, and whoever reads it must know."""
    installed = {p.resolve() for p in installed_packs().values()}
    root = project.root.resolve()
    notes = [f"policy pack {d} is read from the judged project's tree, not installed with the kit: the change under "
             "review can rewrite its rules; in CI name the installed pack (--policy-pack agent_guard)"
             for d in pack_dirs if d not in installed and d.is_relative_to(root)]
    guard = installed_pack(DEFAULT_PACK_NAME)
    if guard is not None and guard.resolve() not in pack_dirs:
        notes.append("the installed agent_guard pack is not among the packs: its critical rules were not applied")
    return notes


def installed_packs() -> dict[str, Path]:
    """The packs installed with the kit: directory name -> directory (each holds PulumiPolicy.yaml)."""
    import agentid_policy_packs

    root = Path(agentid_policy_packs.__file__).parent
    return {d.name: d for d in sorted(root.iterdir()) if (d / "PulumiPolicy.yaml").is_file()}


def installed_pack(name: str) -> Path | None:
    """The installed pack called `name` (`agent_guard` or `agent-guard`); None for anything that is not a bare name."""
    if not name or Path(name).name != name:
        return None
    return installed_packs().get(name.replace("-", "_"))


def _pack_config(config: StackConfig, info: AnalyzerInfo, pack_dir: Path, file_configs: list[dict], index: int,
                 project: Project) -> tuple[dict[str, dict[str, Any]], str]:
    """--policy-pack-config for this pack when given; else the stack's `agentid:policyPackConfig.<pack>`; else none."""
    if index < len(file_configs):
        return file_configs[index], f"--policy-pack-config #{index + 1}"
    carried = config.policy_pack_config(info.name, pack_dir.name)
    origin = f"{project.relative(config.file)} ({POLICY_PACK_CONFIG_KEY}.{info.name})"
    return (parse_config(carried, origin) if carried is not None else {}), origin


def _engine_env(project: Project, config: StackConfig, isolation: Isolation) -> dict[str, str]:
    """What the engine tells an analyzer plugin about the stack (the SDK reads these for `pulumi.get_stack()` etc.),
    and whether the pack must load its data before the program starts (not when the program is sandboxed: it
    cannot write any file the pack reads; set either way, whatever the caller's environment says)."""
    return {
        PRELOAD_ENV: "0" if isolation.sandboxed else "1",
        "PULUMI_PROJECT": project.name,
        "PULUMI_STACK": config.stack,
        "PULUMI_DRY_RUN": "true",
        "PULUMI_CONFIG": json.dumps(config.values),
        # the account the gate's mocks put in every ARN they invent: never the stack's own as a whole
        # (agentid_policy_packs.analysis.aws_accounts)
        MOCK_ACCOUNTS_ENV: MOCK_ACCOUNT,
        # the Entra tenant the mocks give the stack's identities and get_client_config(): the stack's own tenant
        # (agentid_policy_packs.rules.federated_issuer_known)
        MOCK_TENANTS_ENV: MOCK_TENANT,
        # the subscription get_client_config() answers: the stack's own (agentid_policy_packs.rules.azure_foreign_subscription)
        MOCK_SUBSCRIPTIONS_ENV: MOCK_SUBSCRIPTION,
    }


# In the kit's own checkout (its example stacks), these folders hold the judge's source, its tests and its
# benchmarks, which name is_dry_run and PULUMI_DRY_RUN by the dozen: read as the program's, they buried the quick
# start's report under ~60 cloaking lines and ran the example stack a second time. The program (stacks/) is read.
_KIT_CHECKOUT_FOLDERS = ("agentid", "components", "policy_packs", "tests", "bench", "docs", "scripts")
_KIT_DISTRIBUTION = re.compile(r'^name\s*=\s*"agent-identity-kit"\s*$', re.MULTILINE)


def _not_the_program(project: Project) -> tuple[Path, ...]:
    """Folders the cloaking scan skips: the kit's installed packages, and in the kit's own checkout its folders
    other than the program's (a pyproject.toml naming the distribution agent-identity-kit at the project root)."""
    skipped = _kit_directories()
    try:
        checkout = bool(_KIT_DISTRIBUTION.search((project.root / "pyproject.toml").read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        checkout = False
    if not checkout:
        return skipped
    program = project.program_file.resolve().parent
    return skipped + tuple(folder for name in _KIT_CHECKOUT_FOLDERS
                           if not program.is_relative_to(folder := (project.root / name).resolve()))


def _kit_directories() -> tuple[Path, ...]:
    """The kit's own packages: the judge's code is not the judged program's, even when the project is the kit."""
    import agentid
    import agentid_components
    import agentid_policy_packs

    return tuple(Path(module.__file__).parent for module in (agentid, agentid_components, agentid_policy_packs))


def _load_inventory(project: Project, config: StackConfig, result: PreviewResult) -> None:
    """The stack's agent file, found as stacks/__main__.py finds it (config `agentsFile`, else agents/<stack>.yaml)."""
    from agentid_components.loader import SpecLoadError, load_inventory

    file = stack_agents_file(project, config)
    if not file.is_file():
        return
    result.agents_file = project.relative(file)
    try:
        result.inventory = load_inventory(file)
    except SpecLoadError:
        result.inventory = None  # the program then fails on it, or does not use it; locations fall back to the program
