"""Local development: an embedded DynamoDB (moto server) and `make run`. Not deployed."""
