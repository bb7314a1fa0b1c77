"""AgentCore gateway targets' outbound credentials, over gRPC (AGID-AWS-071).

A target that forwards the caller's token (`jwtPassthrough`) or sends its credential to a URL that is not https on
one named host is flagged; a target with its own OAuth / API key / IAM credential on an https endpoint, and a
Lambda target (no endpoint), pass. The inputs are pulumi-aws 7.51's, as the SDK serialises them (checked against the
installed SDK's Args classes at the end).
"""

from __future__ import annotations

import json

import pytest

from tests.policy.pack_cases import flagged_names
from tests.policy.test_pack_grpc import urn
from tests.policy.ruletools import UNKNOWN
from tests.policy.sdk_args import inputs, nested

TARGET = "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget"
RULE = "AGID-AWS-071"
OAUTH = {"oauth": {"providerArn": "arn:aws:bedrock-agentcore:eu-west-1:111122223333:token-vault/default/"
                                  "oauth2credentialprovider/crm", "scopes": ["crm.read"]}}


def target(credentials: dict | None, configuration: dict) -> tuple:
    props = {"gatewayIdentifier": "gw-123", "name": "crm", "targetConfiguration": configuration}
    if credentials is not None:
        props["credentialProviderConfiguration"] = credentials
    return (TARGET, "crm-target", props)


def mcp_server(url: str) -> dict:
    return {"mcp": {"mcpServer": {"endpoint": url}}}


def passthrough(url: str) -> dict:
    return {"http": {"passthrough": {"endpoint": url, "protocolType": "MCP"}}}


def inference(url: str) -> dict:
    return {"inference": {"provider": {"endpoint": url}}}


@pytest.mark.parametrize("credentials", [{"jwtPassthrough": {}}, {"jwtPassthrough": {}, **OAUTH}],
                         ids=["passthrough", "passthrough-beside-oauth"])
def test_token_passthrough_is_flagged(pack, credentials):
    assert flagged_names(pack, RULE, target(credentials, passthrough("https://tools.example.com/mcp")),
                         level="mandatory") == ["crm-target"]


@pytest.mark.parametrize("configuration", [
    mcp_server("http://tools.example.com/mcp"),
    mcp_server("https://169.254.169.254/latest/meta-data/"),
    mcp_server("https://tools.example.com@evil.example.net/mcp"),
    mcp_server("https://*.example.com/mcp"),
    passthrough("https://localhost:8443/mcp"),
    mcp_server("https://10.0.12.7/mcp"),
    mcp_server("https://[2001:db8::7]/mcp"),
    inference("http://llm.example.com/v1"),
], ids=["http", "metadata", "userinfo", "wildcard", "loopback", "private-ip", "ipv6", "inference-http"])
def test_credential_to_a_url_not_https_on_a_named_host_is_flagged(pack, configuration):
    assert flagged_names(pack, RULE, target({"apiKey": {"providerArn": "arn:aws:bedrock-agentcore:eu-west-1:"
                                                                          "111122223333:token-vault/default/"
                                                                          "apikeycredentialprovider/k"}},
                                            configuration), level="mandatory") == ["crm-target"]


@pytest.mark.parametrize("credentials,configuration", [
    (OAUTH, mcp_server("https://tools.example.com/mcp")),
    (OAUTH, passthrough("https://tools.example.com/mcp?tenant=7")),
    ({"gatewayIamRole": {"service": "bedrock-agentcore"}}, inference("https://llm.example.com/v1")),
    (None, mcp_server("https://public-tools.example.com/mcp")),
    ({"gatewayIamRole": {}}, {"mcp": {"lambda": {"lambdaArn": "arn:aws:lambda:eu-west-1:111122223333:function:t",
                                                 "toolSchema": {"s3": {"uri": "s3://b/schema.json"}}}}}),
], ids=["oauth-mcp", "oauth-query", "iam-inference", "no-credential", "lambda"])
def test_own_credential_to_https_passes(pack, credentials, configuration):
    assert flagged_names(pack, RULE, target(credentials, configuration)) == []


APIKEY = {"apiKey": {"providerArn": "arn:aws:bedrock-agentcore:eu-west-1:111122223333:token-vault/default/"
                                  "apikeycredentialprovider/k"}}
PATHS = {"/x": {"get": {"operationId": "x", "responses": {"200": {"description": "ok"}}}}}


def openapi(definition) -> dict:
    payload = definition if isinstance(definition, str) else json.dumps(definition)
    return {"mcp": {"openApiSchema": {"inlinePayload": {"payload": payload}}}}


def oas3(servers, **extra) -> dict:
    return {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "servers": servers, "paths": PATHS, **extra}


def swagger2(**fields) -> dict:
    return {"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": PATHS, **fields}


YAML_EVIL = """openapi: 3.0.1
info: {title: t, version: '1'}
servers:
  - url: https://tools.example.com/v1
  - url: http://evil.example.com
paths:
  /x:
    get:
      operationId: x
      responses: {'200': {description: ok}}
"""


@pytest.mark.parametrize("definition,names", [
    (oas3([{"url": "http://evil.example.com"}]), "'http://evil.example.com'"),
    (oas3([{"url": "http://203.0.113.7/api"}]), "'http://203.0.113.7/api'"),
    (oas3([{"url": "https://169.254.169.254/latest"}]), "'https://169.254.169.254/latest'"),
    (oas3([{"url": "https://203.0.113.7/api"}]), "IP address 203.0.113.7"),
    (oas3([{"url": "https://{host}/v1", "variables": {"host": {"default": "evil.example.com:80@x"}}}]),
     "'https://evil.example.com:80@x/v1'"),
    (oas3([{"url": "{scheme}://tools.example.com/v1",
            "variables": {"scheme": {"default": "https", "enum": ["https", "http"]}}}]), "'http://tools.example.com/v1'"),
    (oas3([{"url": "https://tools.example.com"}],
          paths={"/x": {"servers": [{"url": "http://evil.example.com"}], **PATHS["/x"]}}), "paths[/x].servers[0].url"),
    (oas3([{"url": "https://tools.example.com"}],
          paths={"/x": {"get": {"servers": [{"url": "https://localhost/x"}], "responses": {}}}}),
     "paths[/x].get.servers[0].url"),
    (YAML_EVIL, "servers[1].url"),
    (swagger2(host="evil.example.com", schemes=["https", "http"]), "'http://evil.example.com'"),
    (swagger2(host="tools.example.com", schemes=["https"], servers=[{"url": "http://evil.example.com"}]),
     "'http://evil.example.com'"),
], ids=["http", "http-ip", "metadata", "https-ip", "variable-default", "variable-enum", "path-servers", "operation-servers",
        "yaml-second-server", "swagger2-http-scheme", "swagger2-with-servers"])
def test_openapi_server_not_https_on_a_named_host_is_flagged(pack, definition, names):
    resource = target(APIKEY, openapi(definition))
    diags = pack.analyze(TARGET, "crm-target", urn(TARGET, "crm-target"), resource[2])
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(RULE, "mandatory")], [d.message for d in diags]
    assert "crm-target" in diags[0].message and names in diags[0].message, diags[0].message


@pytest.mark.parametrize("definition,why", [
    ("{not json: [", "not JSON"),
    ("openapi: 3.0.0\npaths: {}\nservers: [{url: [unclosed\n", "invalid YAML"),
    ('{"openapi": "3.0.0", "paths": {}, "servers": [{"url": "http://evil.example.com"}], '
     '"servers": [{"url": "https://tools.example.com"}]}', "twice"),
    ("openapi: 3.0.0\npaths: {}\nservers:\n  - url: http://evil.example.com\n    url: https://tools.example.com\n",
     "twice"),
    ("openapi: 3.0.0\npaths: {}\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
     "servers: [{url: 'https://tools.example.com'}]\n", "alias"),
    (oas3([]), "empty servers list"),
    ({"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": PATHS}, "names no servers"),
    (oas3([{"url": "https://{tenant}.example.com"}]), "no variables"),
    (swagger2(host="tools.example.com"), "names no schemes"),
    (swagger2(schemes=["https"]), "names no host"),
    ({"paths": PATHS, "servers": [{"url": "https://tools.example.com"}]}, "neither an OpenAPI 3"),
    (swagger2(host="tools.example.com", schemes=["https"], openapi="3.0.0",
              servers=[{"url": "https://tools.example.com"}]), "both"),
], ids=["unparsable", "bad-yaml", "json-duplicate-key", "yaml-duplicate-key", "yaml-alias-bomb", "empty-servers", "no-servers", "undeclared-variable", "swagger2-no-scheme",
        "swagger2-no-host", "not-openapi", "swagger-and-openapi"])
def test_openapi_definition_naming_no_judgeable_url_cannot_be_checked(pack, definition, why):
    resource = target(APIKEY, openapi(definition))
    diags = pack.analyze(TARGET, "crm-target", urn(TARGET, "crm-target"), resource[2])
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(RULE, "mandatory")], [d.message for d in diags]
    message = diags[0].message
    assert "cannot check" in message and "inlinePayload.payload" in message and why in message, message


def test_openapi_definition_in_s3_cannot_be_checked(pack):
    configuration = {"mcp": {"openApiSchema": {"s3": {"uri": "s3://schemas/crm.json"}}}}
    diags = pack.analyze(TARGET, "crm-target", urn(TARGET, "crm-target"), target(APIKEY, configuration)[2])
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(RULE, "mandatory")]
    assert "cannot check" in diags[0].message and "openApiSchema.s3" in diags[0].message


@pytest.mark.parametrize("definition", [
    oas3([{"url": "https://tools.example.com/v1"}]),
    oas3([{"url": "https://{region}.tools.example.com/v1",
           "variables": {"region": {"default": "eu", "enum": ["eu", "us"]}}}]),
    YAML_EVIL.replace("http://evil.example.com", "https://backup.example.com"),
    swagger2(host="tools.example.com", basePath="/v1", schemes=["https"]),
], ids=["https", "https-variables", "yaml", "swagger2-https"])
def test_openapi_server_https_on_a_named_host_passes(pack, definition):
    assert flagged_names(pack, RULE, target(APIKEY, openapi(definition))) == []


def smithy(url, parameters: dict | None = None) -> dict:
    """A target built from a Smithy model whose endpoint rule set names `url` (with the SDK endpoint override and
    the AWS partition function, as AWS's own models have them)."""
    params = {"Region": {"builtIn": "AWS::Region", "required": True, "type": "String"},
              "Endpoint": {"builtIn": "SDK::Endpoint", "required": False, "type": "String"}, **(parameters or {})}
    rules = {"version": "1.0", "parameters": params, "rules": [
        {"conditions": [{"fn": "isSet", "argv": [{"ref": "Endpoint"}]}], "type": "endpoint",
         "endpoint": {"url": {"ref": "Endpoint"}}},
        {"conditions": [{"fn": "aws.partition", "argv": [{"ref": "Region"}], "assign": "PartitionResult"}],
         "type": "tree", "rules": [{"conditions": [], "type": "endpoint", "endpoint": {"url": url}}]}]}
    model = {"smithy": "2.0", "shapes": {"example.tools#Tools": {"type": "service", "version": "2024-01-01", "traits": {
        "aws.protocols#restJson1": {}, "smithy.rules#endpointRuleSet": rules}}}}
    return {"mcp": {"smithyModel": {"inlinePayload": {"payload": json.dumps(model)}}}}


HOST = {"Host": {"required": True, "type": "String"}}


@pytest.mark.parametrize("configuration,names", [
    (smithy("http://tools.example.com"), "'http://tools.example.com'"),
    (smithy("https://169.254.169.254/latest"), "'https://169.254.169.254/latest'"),
    (smithy("https://{Host}/v1", HOST), "cannot check"),
    (smithy("https://tools.{Region}.{Host}.com", HOST), "cannot check"),
    (smithy({"ref": "Host"}, HOST), "cannot check"),
    ({"mcp": {"smithyModel": {"inlinePayload": {"payload": "namespace example.tools"}}}}, "cannot check"),
    ({"mcp": {"smithyModel": {"s3": {"uri": "s3://models/tools.json"}}}}, "smithyModel.s3"),
    ({"mcp": {"smithyModel": {"inlinePayload": {"payload": smithy("https://tools.example.com")["mcp"]["smithyModel"][
        "inlinePayload"]["payload"].replace('"url": "https://tools.example.com"',
                                            '"url": "http://evil.example.com", "url": "https://tools.example.com"')}}}},
     "twice"),
], ids=["http", "metadata", "host-parameter", "domain-parameter", "endpoint-parameter", "idl-not-json", "s3",
        "duplicate-url"])
def test_smithy_endpoint_not_https_on_a_named_host_is_flagged(pack, configuration, names):
    diags = pack.analyze(TARGET, "crm-target", urn(TARGET, "crm-target"), target(None, configuration)[2])
    assert [(d.policy_name, d.enforcement_level) for d in diags] == [(RULE, "mandatory")], [d.message for d in diags]
    assert "crm-target" in diags[0].message and names in diags[0].message, diags[0].message


@pytest.mark.parametrize("configuration", [
    smithy("https://tools.{Region}.{PartitionResult#dnsSuffix}/v1"),
    smithy("https://tools.example.com/{Region}/v1"),
    {"mcp": {"smithyModel": {}}},
], ids=["aws-style", "https-region-path", "built-in-dynamodb"])
def test_smithy_endpoint_https_on_a_named_host_passes(pack, configuration):
    assert flagged_names(pack, RULE, target({"gatewayIamRole": {}}, configuration)) == []


def test_unknown_openapi_payload_cannot_be_checked(pack):
    names = flagged_names(pack, RULE, target(APIKEY, {"mcp": {"openApiSchema": {"inlinePayload": {"payload": UNKNOWN}}}}))
    assert names == ["crm-target"]


def test_unknown_endpoint_cannot_be_checked(pack):
    names = flagged_names(pack, RULE, target(OAUTH, {"mcp": {"mcpServer": {"endpoint": UNKNOWN}}}))
    assert names == ["crm-target"]


def test_the_rule_reads_the_sdk_input_names():
    from pulumi_aws.bedrock import AgentcoreGatewayTargetArgs
    from pulumi_aws.bedrock._inputs import AgentcoreGatewayTargetTargetConfigurationArgs

    top = inputs(AgentcoreGatewayTargetArgs)
    assert {"credentialProviderConfiguration", "targetConfiguration"} <= set(top)
    credentials = nested(AgentcoreGatewayTargetArgs, top["credentialProviderConfiguration"])
    assert "jwtPassthrough" in inputs(credentials)
    configuration = inputs(AgentcoreGatewayTargetTargetConfigurationArgs)
    for block, inner in (("mcp", "mcpServer"), ("http", "passthrough"), ("inference", "provider")):
        holder = nested(AgentcoreGatewayTargetTargetConfigurationArgs, configuration[block])
        leaf = nested(holder, inputs(holder)[inner])
        assert "endpoint" in inputs(leaf), (block, inner)
    mcp = nested(AgentcoreGatewayTargetTargetConfigurationArgs, configuration["mcp"])
    schema = nested(mcp, inputs(mcp)["openApiSchema"])
    assert {"inlinePayload", "s3"} <= set(inputs(schema))
    assert "payload" in inputs(nested(schema, inputs(schema)["inlinePayload"]))
    assert "uri" in inputs(nested(schema, inputs(schema)["s3"]))
    model = nested(mcp, inputs(mcp)["smithyModel"])
    assert {"inlinePayload", "s3"} <= set(inputs(model))
    assert "payload" in inputs(nested(model, inputs(model)["inlinePayload"]))
