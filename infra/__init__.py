"""Deployment infrastructure: the CloudFormation merge template and IAM policies (see infra/template.py)."""
