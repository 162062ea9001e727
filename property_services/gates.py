"""The HTTP endpoint of the estate's plate-recognition gates: /property/gates/<estate code>/records/.

POST a record (JSON) signed with the estate's gate key (``X-Anju-Gate-Signature``: hex HMAC-SHA256 of
the raw body); the answer is JSON: ``{"open": true, "kind": "visitor" | "permit", "stay": 12, "fee": "7.00",
"message": ""}`` (``fee`` on leaving). A bad or missing signature, or another estate's key: 403; a record
that makes no sense (plate, time, direction): 400 with the reason (Chinese, then English); nothing
is written in either case. See property_services.services.parking.
"""

from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from estates.models import Estate

from .services.parking import SIGNATURE_HEADER, GateSignatureError, gate_record, gate_record_verify

MAX_RECORD_BYTES = 4096


@csrf_exempt
@require_POST
def gate_records(request, estate_code: str):
    estate = Estate.objects.filter(code=estate_code).first()
    if estate is None:
        raise Http404
    body = request.body
    if len(body) > MAX_RECORD_BYTES:
        return JsonResponse({"error": "记录过大 / The record is too large."}, status=413)
    try:
        data = gate_record_verify(estate=estate, body=body, signature=request.headers.get(SIGNATURE_HEADER, ""))
        answer = gate_record(estate=estate, data=data)
    except GateSignatureError:
        return JsonResponse({"error": "签名无效 / The record's signature does not check out."}, status=403)
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse(answer.as_json())
