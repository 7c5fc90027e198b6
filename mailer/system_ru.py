"""What the operating system says, in Russian: why a connection to a mail server failed, why a
file could not be read or written.

Python and aiosmtplib say it in English ("Connect call failed", "Name or service not known",
"certificate verify failed: self-signed certificate", "Permission denied"); the secretary reads
the reason in plain words and the IT person the setting to check. An exception's chain is searched
for the cause that tells most: a certificate's verdict, then the name, the refusal, the silence.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

# OpenSSL's X509_V_ERR_* codes met in practice
_CERTIFICATE_REASONS = {
    9: "сертификат ещё не действует (проверьте дату и время на этом компьютере)",
    10: "срок действия сертификата истёк",
    18: "сертификат самоподписанный: его не выдавал ни один доверенный удостоверяющий центр",
    19: "сертификат выдан удостоверяющим центром организации, которого нет среди доверенных",
    20: "удостоверяющий центр, выдавший сертификат, не входит в доверенные",
    21: "удостоверяющий центр, выдавший сертификат, не входит в доверенные",
    62: "сертификат выдан на другое имя сервера",
    64: "сертификат выдан на другой IP-адрес",
}


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    depth = 0
    while seen is not None and depth < 20:
        yield seen
        seen = seen.__cause__ or seen.__context__
        depth += 1


def certificate_problem(exc: BaseException) -> str | None:
    """The reason a server's certificate was refused, or None if that was not the failure."""
    for seen in _chain(exc):
        if isinstance(seen, ssl.SSLCertVerificationError):
            return _CERTIFICATE_REASONS.get(
                seen.verify_code or 0, "сертификат не признан доверенным"
            )
        if "certificate verify failed" in str(seen):
            return "сертификат не признан доверенным"
    return None


def connection_problem(exc: BaseException) -> str:
    """What went wrong while connecting, as a phrase to follow "Не удалось связаться с …:"."""
    for seen in _chain(exc):
        if isinstance(seen, socket.gaierror):
            return "такое имя сервера не найдено (DNS): возможно, в нём опечатка или нет сети"
        if isinstance(seen, ConnectionRefusedError):
            return "по этому адресу и порту соединение отклонено: сервер не ждёт там писем"
        if isinstance(seen, TimeoutError):
            return "сервер не ответил вовремя"
        if isinstance(seen, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
            return "сервер разорвал соединение"
        if isinstance(seen, ssl.SSLError):
            if "WRONG_VERSION_NUMBER" in str(seen) or "wrong version number" in str(seen):
                return (
                    "защищённое соединение (TLS) не установилось: сервер на этом порту, похоже, "
                    "ждёт другой способ защиты"
                )
            return "защищённое соединение (TLS) не установилось"
        if isinstance(seen, OSError) and seen.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "сервер недоступен из этой сети"
    # only when no cause tells more: aiosmtplib's wrappers are ConnectionErrors too
    if any(isinstance(seen, ConnectionError) for seen in _chain(exc)):
        return "сервер закрыл соединение"
    text = str(exc).lower()
    if "timed out" in text:
        return "сервер не ответил вовремя"
    if "starttls" in text and "not supported" in text:
        return "сервер не поддерживает защиту STARTTLS"
    if "disconnect" in text or "connection lost" in text:
        return "сервер закрыл соединение"
    code = next((s.errno for s in _chain(exc) if isinstance(s, OSError) and s.errno), None)
    return f"сбой соединения (код ошибки {code})" if code else "сбой соединения"


_FILE_REASONS = {
    errno.ENOENT: "нет такого файла или папки",
    errno.EACCES: "нет прав на доступ",
    errno.EPERM: "нет прав на доступ",
    errno.EISDIR: "это папка, а не файл",
    errno.ENOTDIR: "часть пути — не папка",
    errno.EEXIST: "такой файл уже есть",
    errno.ENOSPC: "на диске нет места",
    errno.EROFS: "диск доступен только для чтения",
    errno.ENAMETOOLONG: "слишком длинное имя",
    errno.EBUSY: "файл занят другой программой",
    errno.ETXTBSY: "файл занят другой программой",
}


def file_problem(exc: BaseException) -> str:
    """Why a file could not be read or written, as a phrase."""
    if isinstance(exc, UnicodeDecodeError):
        return "текст не в кодировке UTF-8"
    if isinstance(exc, OSError) and exc.errno in _FILE_REASONS:
        return _FILE_REASONS[exc.errno]
    if isinstance(exc, OSError) and exc.errno:
        return f"ошибка ввода-вывода (код {exc.errno})"
    return "ошибка ввода-вывода"
