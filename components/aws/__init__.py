"""AWS components of the kit.

`permissions` is the pure least-privilege compiler (no Pulumi import);
`fleet` and `identity` hold the Pulumi components. Import them by module so
that the compiler stays importable without Pulumi.
"""
