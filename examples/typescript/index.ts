// Agents declared in TypeScript, compiled by the kit's Python components (agentid:index:AgentFleet).
// `pulumi package add ../..` generated sdks/agentid from the package schema; `pulumi preview` then runs the
// kit's provider, which builds exactly what a Python program's AgentFleet builds (tests/package prove it).
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as agentid from "@pulumi/agentid";

const config = new pulumi.Config();

const fleet = new agentid.AgentFleet("agents", {
    agents: [
        {
            name: "pr-labeler",
            owner: "dev-productivity@example.com",
            purpose: "Labels pull requests from the repository's labelling rules.",
            environment: pulumi.getStack(),
            reviewBy: "2099-06-30", // a real agent's within months; an example's must not pass
            maxCredentialMinutes: 15,
            tools: [
                {
                    name: "read-rules",
                    description: "Reads the labelling rules.",
                    aws: {
                        actions: ["s3:GetObject"],
                        resources: ["arn:aws:s3:::example-label-rules/rules.json"],
                    },
                },
                {
                    name: "ticket-mcp",
                    oauth: { audience: "https://mcp.tickets.example.com", scopes: ["tickets.read"] },
                },
            ],
            trust: [{ githubActions: { repository: "example-org/app", branch: "main" } }],
        },
    ],
    // Or keep the agents in a file `agentid validate` checks: agentsFile: path.resolve("agents.yaml"),
    // Relative files named in the agents (caBundle, clientCertificate, cedarPolicies) resolve from here.
    baseDirectory: path.resolve(__dirname),
    aws: {
        // The account's GitHub OIDC provider, if one exists already (an account holds one per URL).
        githubOidcProviderArn: config.get("githubOidcProviderArn"),
    },
});

export const inventory = fleet.inventory;
