import json
import logging

from otklik.logs import JsonFormatter, mask_pii


def test_mask_pii_hides_phones_emails_and_secrets() -> None:
    text = "Иванов, тел. +7 (913) 123-45-67, 8-905-111-22-33, почта ivanov@mail.ru, token=abc123"
    masked = mask_pii(text)
    assert "123-45-67" not in masked and "111-22-33" not in masked
    assert "ivanov@mail.ru" not in masked and "abc123" not in masked
    assert masked.count("<телефон>") == 2 and "<e-mail>" in masked


def test_json_formatter_masks_and_keeps_context() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "написал a@b.ru", None, None)
    record.uid = "vk:1:2"
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "написал <e-mail>" and line["uid"] == "vk:1:2"
