"""Identities a resource inherits from another object it names (issue 11): one helper for AGID-AWS-057 and AGID-GCP-019.

A resource can run code with an identity that is not in its own inputs but in an object it takes by reference: an
EC2 instance, Auto Scaling group, EC2 Fleet or Spot request launched from a launch template (the template's
IamInstanceProfile), a Compute Engine instance created from an instance template or a machine image, or a managed
instance group's versions (the template's service account and scopes), an ECS service running a task definition (its
task role), a Dataproc job submitted to a cluster (the cluster's service account), an EventBridge target or schedule,
an AgentCore gateway target or any other invoker calling a Lambda function (its execution role), an Image Builder image built on an infrastructure configuration
(its instance profile). When the stack creates that object its identity is judged where it is defined (it is a
runner of the cloud's code-runner data); when it does not (a literal name, id, ARN or self link, a value no stack
resource explains, a data-source lookup), the identity is one nobody here can read: "cannot check: runs code as the
identity of existing <object>".

Which inputs take which object is data: the `inherits` table of analysis/aws_code_runners.yaml and
analysis/gcp_code_runners.yaml. An entry:
  paths:   dotted input paths (`[]` walks a list) holding the reference
  object:  what it names (message text)
  kinds:   the stack resource types that can be that object
  match:   optional regular expression (searched, without case): only a literal value matching it names such an
           object (an EventBridge target's `arn` may be a queue as well as a function); an unknown value then only
           needs to be an Output of some stack resource (so too with `capture`)
  capture: optional regular expression (searched, without case) with a group `name`: only a literal it matches
           names such an object, and `name` is the object's name inside it (a Cloud Scheduler job's URI
           `https://run.googleapis.com/v2/projects/P/locations/L/jobs/NAME:run` runs the Cloud Run job NAME)
  unless:  input paths that, when set, replace the inherited identity with one of the resource's own (an instance's
           own iamInstanceProfile or serviceAccount overrides its template's: that one is judged instead)
  same:    inputs of holder and object that must agree when both are known strings (project, region)
  each:    optional dotted path of a list of items (`stages[].actions[]`); `paths` are then read in each item, and
           only in items whose `when` inputs (item-relative path -> regular expression, matched whole, without case)
           hold: a CodePipeline action's configuration names a CodeBuild project only when its provider is CodeBuild
  when:    without `each`, the same condition on the resource's own inputs (a maintenance window task's taskArn is a
           function only when its taskType is LAMBDA)
  always:  the reference is a selector, not a name (a Dataproc cluster selector picks any cluster with those labels,
           existing ones included): every value is cannot check
  what:    what the holder does with the identity (message text)
  source:  the provider's page that says the identity is inherited

Linking follows every spelling the engine shows: the object's name input (`name`, `family`, ...) or Pulumi name,
its id, ARN or self link (as far as known_state knows them), the last segment of an ARN or a URL
(`.../instanceTemplates/web`, `task-definition/web:3`, `function:web:live`), and an Output: an unknown value is the
stack object's only when iam_links.output_sources proves it (the holder's input depends on those candidates and
nothing else, red12 #7), else "cannot check until known" (the dependencies are the engine's propertyDependencies of
that input where it sent them, so a `depends_on` cannot vouch for it). A literal ARN carrying an account names the
stack object only in the stack's account (issue 11: `arn:aws:lambda:R:999988887777:function:web-fn` is another
account's function that happens to share the stack function's name): the object's real account where its ARN is
known, else an account known to be the stack's own as AGID-AWS-050/052 decide it (ownAccountIds, or under the gate
the accounts its mocks invent: analysis.aws_accounts.OwnAccounts); an account not known own is "cannot tell", so the
reference is not the stack's object (fail closed). A literal names a stack object only for a holder created after
it (iam_links.ordered_after: an Output of it, or depends_on): a typed decoy `Function("decoy", name="prod-admin-fn")`
fails to create when that function exists, and a holder that does not wait for it runs the existing one (issue 11).
A stack object that itself inherits its
identity (a machine image of an instance) is followed one step further, the finding staying on the holder.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from agentid_policy_packs.analysis.aws_accounts import OwnAccounts, arn_account, invented_accounts
from agentid_policy_packs.analysis.values import is_unknown, value_at, values_at

from .base import Outcome, Resource, Unknown, Violation
from .iam_links import known_state, ordered_after, output_sources

# what an input naming an object holds when it is one of its Outputs (each cloud's rule passes its own: a key the
# cloud never sets would count as "not known" and let any unknown value pass as the object's, red12 #7)
OUTPUTS = ("id", "name", "arn", "selfLink", "selfLinkUnique", "family")
AWS_OUTPUTS = ("id", "name", "arn")  # iam_links.IDENTIFIERS
GCP_OUTPUTS = ("id", "name", "selfLink", "selfLinkUnique")
# the inputs that hold an object's own name, by convention of the providers
_NAME_INPUTS = ("name", "family", "clusterName")
_PROJECT = re.compile(r"(?:^|/)projects/(?P<project>[^/]+)/", re.IGNORECASE)
_MAX_DEPTH = 4


def _set(value: Any) -> bool:
    return value not in (None, "", [], {})


def tail(reference: str) -> str:
    """The object's own name inside a reference: `arn:aws:ecs:r:a:task-definition/web:3` -> `web`,
    `https://.../projects/p/global/instanceTemplates/web?uniqueId=1` -> `web`, `arn:...:function:f:live` -> `f`,
    `arn:aws:states:r:a:stateMachine:sm` -> `sm`; a plain name stays itself."""
    reference = reference.strip().split("?", 1)[0].rstrip("/")
    if ":function:" in reference:
        # `.../functions/arn:...:function:f/invocations` (API Gateway): a function name holds no `/`
        return re.split(r"[:/]", reference.split(":function:", 1)[1], maxsplit=1)[0]
    last = reference.rsplit("/", 1)[-1]
    if last.startswith("arn:"):
        return last.rsplit(":", 1)[-1]
    if re.fullmatch(r"[^:]+:\d+", last):  # family:revision
        return last.split(":", 1)[0]
    return last


def _names(candidate: Resource) -> set[str]:
    """Every spelling of the object's own name and ids, case folded. Not its Pulumi (logical) name (issue 11): an
    object without a name input is autonamed `<logical>-<7 random hex>` by Pulumi, so a literal equal to the logical
    name names an EXISTING object; under the gate the mocks' autonamed name (known_state) is how an Output of it
    arrives."""
    found: set[str] = set()
    state = known_state(candidate)
    for key in (*_NAME_INPUTS, *OUTPUTS):
        value = state.get(key)
        if isinstance(value, str) and value and not is_unknown(value):
            found |= {value, tail(value)}
    return {name.casefold() for name in found}


def _agrees(holder: Resource, candidate: Resource, reference: str, same: tuple[str, ...]) -> bool:
    """Do the holder's (or the reference's own `projects/P/`) and the candidate's `same` inputs agree where known?"""
    for key in same:
        mine = holder.props.get(key)
        if key == "project" and (found := _PROJECT.search(reference)):
            mine = found["project"]
        theirs = candidate.props.get(key)
        if (isinstance(mine, str) and isinstance(theirs, str) and not is_unknown(mine) and not is_unknown(theirs)
                and mine.strip().casefold() != theirs.strip().casefold()):
            return False
    return True


def resolve(holder: Resource, reference: str, candidates: list[Resource], same: tuple[str, ...] = (),
            ordered: bool = True) -> list[Resource]:
    """The stack objects a literal reference names. `ordered` (where being the stack's object makes it safe): only
    objects `holder` is created after (iam_links.ordered_after: a typed decoy of an existing object's name fails to
    create, and a holder that does not wait for it runs the existing one); without it (where joining more is the
    cautious side: which stack functions a state machine starts) every object of that name."""
    wanted = {reference.strip().casefold(), tail(reference).casefold()}
    return [c for c in candidates if wanted & _names(c) and _agrees(holder, c, reference, same)
            and (not ordered or ordered_after(holder, c))]


def foreign(reference: str, candidate: Resource, own: OwnAccounts) -> str | None:
    """Why a literal ARN naming `candidate` by name is still not it (another account's object); None when it may be.
    The candidate's real account where its ARN is known (not one the gate's mocks invent), else the stack's own
    accounts (`own`: ownAccountIds and, under the gate, the invented ones) decide."""
    account = arn_account(reference)
    if account is None:
        return None  # a name, or an ARN without an account (S3)
    theirs = arn_account(known_state(candidate).get("arn") or "")
    if theirs is not None and theirs not in invented_accounts():
        return None if theirs == account else f"account {account} is not {candidate.name}'s ({theirs})"
    return own.problem(account, reference.strip())


def _references(holder: Resource, entry: Mapping[str, Any], urn: str) -> Iterator[tuple[str, Any] | Outcome]:
    """(where, value) of each reference of `entry` in the holder's inputs (an Unknown for an unknown deciding input)."""
    props = dict(holder.props)
    if "each" not in entry and "when" not in entry:
        for path in entry["paths"]:
            yield from values_at(props, path)
        return
    for where, item in (values_at(props, entry["each"]) if "each" in entry else [("", props)]):
        if is_unknown(item):
            yield Unknown(where, urn)
            continue
        if not isinstance(item, dict):
            continue
        deciding = [(key, value_at(item, key)) for key in entry.get("when", {})]
        if any(is_unknown(value) for _, value in deciding):
            yield Unknown(where, urn)
            continue
        if not all(isinstance(value, str) and re.fullmatch(entry["when"][key], value.strip(), re.IGNORECASE)
                   for key, value in deciding):
            continue
        for path in entry["paths"]:
            yield from ((f"{where}.{inner}" if where else inner, value) for inner, value in values_at(item, path))


def judge(holder: Resource, entries: list[Mapping[str, Any]], stack: list[Resource],
          table: Mapping[str, list[Mapping[str, Any]]], depth: int = 0,
          via: Resource | None = None, outputs: tuple[str, ...] = OUTPUTS,
          own: OwnAccounts | None = None) -> Iterator[Outcome]:
    """Findings for the identities `holder` inherits through `entries` (its rows of `table`, type -> entries);
    `via`: the resource the findings belong to when `holder` is an object it inherits from; `own`: the stack's own
    AWS accounts, for a literal ARN's account (None: accounts are not judged, as for Google Cloud)."""
    reporter = (via or holder).name
    urn = (via or holder).urn
    for entry in entries:
        if any(_set(value) for path in entry.get("unless", ()) for _, value in values_at(dict(holder.props), path)):
            continue  # the holder brings its own identity, judged as a runner
        kinds = tuple(entry["kinds"])
        candidates = [r for r in stack if r.type in kinds]
        pattern = entry.get("match")
        for found_reference in _references(holder, entry, urn):
            if isinstance(found_reference, Unknown):
                yield found_reference
                continue
            where, reference = found_reference
            top = re.split(r"[.\[]", where, maxsplit=1)[0]  # the top-level input: its propertyDependencies
            where = f"{holder.name}.{where}" if via else where
            if entry.get("always") and _set(reference):
                yield Violation(f"{reporter} {entry['what']}: cannot check: runs code as the identity of an existing "
                                f"{entry['object']} ({where} selects one by {where.rsplit('.', 1)[-1]}, whichever "
                                "match, existing ones included); name one this stack defines, or waive this "
                                "resource", urn)
                continue
            if not _set(reference):
                continue
            if is_unknown(reference):
                pool = stack if pattern or entry.get("capture") else candidates  # a URL or ARN of anything
                explained = output_sources(holder, pool, outputs, input=top)
                if explained is None:
                    yield Unknown(where, urn)
                    continue
                found = [r for r in explained if r.type in kinds]
            elif not isinstance(reference, str):
                yield Violation(f"{reporter}: cannot check: {where} is {type(reference).__name__}, not a name of "
                                f"the {entry['object']} whose identity it runs as", urn,
                                category="unparseable")
                continue
            else:
                if pattern and not re.search(pattern, reference.strip(), re.IGNORECASE):
                    continue
                named = reference
                if entry.get("capture"):
                    captured = re.search(entry["capture"], reference.strip(), re.IGNORECASE)
                    if captured is None:
                        continue
                    named = reference.strip()[:captured.end("name")]  # projects/P/.../NAME: project and name read
                named_like = resolve(holder, named, candidates, tuple(entry.get("same", ())), ordered=False)
                found = [c for c in named_like if ordered_after(holder, c)]
                problems = [(c.name, "it does not depend on it: were its create to fail (the name taken), "
                                     "this would run the existing one") for c in named_like if c not in found]
                problems += [(c.name, problem) for c in found if own is not None
                             and (problem := foreign(reference, c, own))]
                if own is not None:
                    found = [c for c in found if foreign(reference, c, own) is None]
                if not found:
                    why = f" (named like {problems[0][0]} of this stack, but {problems[0][1]})" if problems else ""
                    yield Violation(f"{reporter} {entry['what']}: cannot check: runs code as the identity of "
                                    f"existing {entry['object']} {reference.strip()[:200]} ({where}), which this "
                                    f"stack does not define{why}; define it in this stack (its identity is then "
                                    "judged) or waive this resource", urn)
                    continue
            if depth < _MAX_DEPTH:
                for obj in found:  # an object that itself inherits (a machine image of an instance)
                    if obj.type in table and obj.urn != holder.urn:
                        yield from judge(obj, table[obj.type], stack, table, depth + 1, via or holder, outputs, own)
