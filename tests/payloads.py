"""Webhook payloads shaped as each platform documents them, with our own values, and their signing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

PAGE_ID = "104857600000001"
IG_ACCOUNT_ID = "17841400000000001"
BRAND_X_ID = "2244994945"
WHATSAPP_PHONE_NUMBER_ID = "106540352242922"
MESSENGER_CUSTOMER = "6100000000001"


def page_comment(comment_id: str, text: str, *, author_id: str = "5550001", verb: str = "add",
                 post_id: str = "104857600000001_900001", parent_id: str | None = None) -> dict:
    return {
        "object": "page",
        "entry": [{
            "id": PAGE_ID,
            "time": int(time.time()),
            "changes": [{"field": "feed", "value": {
                "from": {"id": author_id, "name": "Dana Reyes"},
                "post_id": post_id,
                "comment_id": comment_id,
                "parent_id": parent_id or post_id,
                "created_time": int(time.time()),
                "item": "comment",
                "verb": verb,
                "message": text,
            }}],
        }],
    }


def page_comments(items: list[tuple[str, str]]) -> dict:
    payload = page_comment(*items[0])
    for comment_id, text in items[1:]:
        payload["entry"][0]["changes"].append(page_comment(comment_id, text)["entry"][0]["changes"][0])
    return payload


def messenger_dm(mid: str, text: str, *, sender: str = MESSENGER_CUSTOMER, echo: bool = False,
                 instagram: bool = False, reply_to: str | None = None) -> dict:
    """A customer's DM to the Page (or Instagram account), or with `echo` the brand's own message to `sender`."""
    message: dict = {"mid": mid, "text": text}
    if echo:
        message.update(is_echo=True, app_id=1517776481860111)
    if reply_to:
        message["reply_to"] = {"mid": reply_to}
    account = IG_ACCOUNT_ID if instagram else PAGE_ID
    return {"object": "instagram" if instagram else "page", "entry": [{
        "id": account, "time": int(time.time() * 1000), "messaging": [{
            "sender": {"id": account if echo else sender}, "recipient": {"id": sender if echo else account},
            "timestamp": int(time.time() * 1000), "message": message}]}]}


def messenger_unsend(mid: str, *, sender: str = MESSENGER_CUSTOMER, instagram: bool = False) -> dict:
    """The customer unsent their DM `mid` (Instagram's unsend; `is_deleted` on the message, which has no text)."""
    payload = messenger_dm(mid, "", sender=sender, instagram=instagram)
    payload["entry"][0]["messaging"][0]["message"] = {"mid": mid, "is_deleted": True}
    return payload


def messenger_receipt(kind: str, *, mids: list[str] | None = None, watermark: int | None = None,
                      customer: str = MESSENGER_CUSTOMER, timestamp: int = 1714965200123) -> dict:
    """A Messenger `delivery` (mids and a watermark) or `read` (a watermark) the customer's app sends the Page."""
    report: dict = {"seq": 37}
    if mids is not None:
        report["mids"] = mids
    if watermark is not None:
        report["watermark"] = watermark
    return {"object": "page", "entry": [{"id": PAGE_ID, "time": timestamp, "messaging": [{
        "sender": {"id": customer}, "recipient": {"id": PAGE_ID}, "timestamp": timestamp, kind: report}]}]}


def instagram_comment(comment_id: str, text: str, *, author_id: str = "17800000000099") -> dict:
    return {"object": "instagram", "entry": [{"id": IG_ACCOUNT_ID, "time": int(time.time()), "changes": [{
        "field": "comments", "value": {"from": {"id": author_id, "username": "kaito.t"},
                                        "media": {"id": "18000000000000001", "media_product_type": "FEED"},
                                        "id": comment_id, "text": text}}]}]}


def whatsapp_text(wamid: str, text: str, *, sender: str = "819012345678") -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": WHATSAPP_PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Sato Yui"}, "wa_id": sender}],
            "messages": [{"from": sender, "id": wamid, "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": text}}]}}]}]}


def whatsapp_status(wamid: str, status: str = "delivered", *, recipient: str = "819012345678",
                    error: dict | None = None, timestamp: str = "1714965200") -> dict:
    """A `statuses[]` report on a message the business sent (`error`: one of Cloud API's `errors[]`)."""
    report: dict = {"id": wamid, "status": status, "timestamp": timestamp, "recipient_id": recipient,
                    "conversation": {"id": "7270432eae3749", "origin": {"type": "service"}},
                    "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"}}
    if error is not None:
        report["errors"] = [error]
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": WHATSAPP_PHONE_NUMBER_ID},
            "statuses": [report]}}]}]}


def x_tweet(tweet_id: str, text: str, *, user_id: str = "9000001", reply_to: str | None = None) -> dict:
    tweet = {
        "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime()),
        "id": int(tweet_id), "id_str": tweet_id, "text": text, "truncated": False,
        "in_reply_to_status_id_str": reply_to,
        "user": {"id": int(user_id), "id_str": user_id, "name": "Alex P", "screen_name": "alexp"},
        "timestamp_ms": str(int(time.time() * 1000)),
    }
    return {"for_user_id": BRAND_X_ID, "tweet_create_events": [tweet]}


def telegram_message(message_id: int, text: str, *, chat_id: int = 700001, edited: bool = False) -> dict:
    key = "edited_message" if edited else "message"
    return {"update_id": 800000 + message_id, key: {
        "message_id": message_id, "date": int(time.time()),
        "from": {"id": chat_id, "is_bot": False, "first_name": "Mika", "username": "mika_k"},
        "chat": {"id": chat_id, "type": "private", "first_name": "Mika"}, "text": text}}


def generic_message(native_id: str, text: str, *, source: str = "linkedin", action: str = "new",
                    author_id: str = "li-778") -> dict:
    return {"messages": [{"source": source, "id": native_id, "channel": "comment", "action": action,
                          "author": {"id": author_id, "name": "Chris Olsen"}, "text": text,
                          "created_at": "2026-11-20T10:00:00+00:00"}]}


# one representative single-message payload per webhook route
SAMPLES = {
    "meta": lambda i: page_comment(f"900001_{i}", "My order #4471 never arrived and nobody answers, I want a refund"),
    "x": lambda i: x_tweet(str(1600000000000000000 + i), "@brand my package is a week late, where is it?"),
    "telegram": lambda i: telegram_message(i, "注文した商品がまだ届きません。確認してください。"),
    "generic": lambda i: generic_message(f"urn:li:comment:{i}", "Proud you kept your DEI commitments. Buying more."),
}


# signing, exactly as each platform does it -----------------------------------------------------

def meta_headers(body: bytes, *, secret: str) -> dict:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}


def x_headers(body: bytes, *, secret: str) -> dict:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return {"Content-Type": "application/json", "x-twitter-webhooks-signature": f"sha256={digest}"}


def telegram_headers(body: bytes, *, secret: str) -> dict:
    return {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}


def generic_headers(body: bytes, timestamp: int | None = None, *, secret: str) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Timestamp": ts, "X-Signature": f"sha256={digest}"}


SIGNERS = {"meta": meta_headers, "x": x_headers, "telegram": telegram_headers, "generic": generic_headers}
# the configuration name of the secret each route is signed with
SECRET_OF = {"meta": "META_APP_SECRET", "x": "X_CONSUMER_SECRET", "telegram": "TELEGRAM_SECRET_TOKEN",
             "generic": "GENERIC_WEBHOOK_SECRET"}
