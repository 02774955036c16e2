"""CDK constructs, one per concern, composed into stacks by app.py."""
