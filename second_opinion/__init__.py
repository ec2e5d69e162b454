"""The second opinion: a slower, more accurate model that re-scores each message after it is stored.

Its own Lambda function (EventBridge `message.triaged` events of new and edited messages), packaged on its own
(infra/second_opinion_package.py): a native sentence encoder never loads on the webhook path.
"""
