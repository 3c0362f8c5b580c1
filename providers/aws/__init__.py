"""The AWS Lambda provider: a bot as a least-privilege, scheduled Lambda function with its state in S3."""
