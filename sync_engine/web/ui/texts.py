"""Every word the console (and `jobs explain`) shows, in Turkish and English, in one place.

Turkish is the default; the invoice terms are the ones of /work/shared/GLOSSARY.md (e-Fatura,
e-Arşiv, ETTN, cari, fiş, proforma, iptal, İADE faturası) and stay as they are in English too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync_engine.domain.states import AttentionCategory, JobKind, JobStatus, StepState

LANGS = ("tr", "en")
DEFAULT_LANG = "tr"

LABELS: dict[str, tuple[str, str]] = {
    # key: (Turkish, English)
    "console": ("Operatör konsolu", "Operator console"),
    "login": ("Giriş", "Log in"),
    "logout": ("Çıkış", "Log out"),
    "token": ("Yönetici anahtarı", "Admin token"),
    "bad_token": ("Anahtar geçersiz.", "That token is not valid."),
    "jobs": ("İşler", "Jobs"),
    "attention": ("Müdahale bekleyenler", "Needs attention"),
    "events": ("Webhook gelen kutusu", "Webhook inbox"),
    "reconcile": ("Mutabakat", "Reconciliation"),
    "health": ("Sağlayıcı durumu", "Provider health"),
    "audit": ("İşlem kaydı", "Audit log"),
    "status": ("Durum", "Status"),
    "store": ("Mağaza", "Store"),
    "provider": ("Sağlayıcı", "Provider"),
    "document_type": ("Belge türü", "Document type"),
    "kind": ("Tür", "Kind"),
    "attention_category": ("Neden", "Reason"),
    "date_from": ("Başlangıç (UTC)", "From (UTC)"),
    "date_to": ("Bitiş (UTC)", "To (UTC)"),
    "q": ("Sipariş adı / no", "Order name / number"),
    "filter": ("Filtrele", "Filter"),
    "clear": ("Temizle", "Clear"),
    "all": ("hepsi", "all"),
    "order": ("Sipariş", "Order"),
    "created": ("Oluşturma", "Created"),
    "updated": ("Güncelleme", "Updated"),
    "invoice_number": ("Fatura numarası", "Invoice number"),
    "ettn": ("ETTN", "ETTN"),
    "last_error": ("Son hata", "Last error"),
    "next": ("Sonraki sayfa", "Next page"),
    "first": ("İlk sayfa", "First page"),
    "chain": ("Belge zinciri", "Document chain"),
    "steps": ("Adımlar", "Steps"),
    "attempts": ("Denemeler", "Attempts"),
    "history": ("Geçmiş", "History"),
    "inbound": ("Gelen webhook olayları", "Inbound webhook events"),
    "next_action": ("Sıradaki", "What happens next"),
    "time": ("Zaman", "Time"),
    "duration": ("Süre (ms)", "Duration (ms)"),
    "http": ("HTTP", "HTTP"),
    "error_class": ("Hata sınıfı", "Error class"),
    "message": ("Sağlayıcının mesajı", "Provider's message"),
    "step": ("Adım", "Step"),
    "operation": ("İşlem", "Operation"),
    "retry": ("Yeniden dene", "Retry"),
    "retry_all": ("Eşleşen tüm müdahale bekleyenleri yeniden dene", "Retry every matching needs_attention job"),
    "cancel": ("İptal et", "Cancel"),
    "resolve": ("Çözüldü olarak işaretle", "Mark resolved"),
    "note": ("Not", "Note"),
    "replay": ("Yeniden işle", "Replay"),
    "confirm_retry": ("Bu iş yeniden kuyruğa alınsın mı?", "Put this job back in the queue?"),
    "confirm_retry_all": ("Eşleşen tüm müdahale bekleyen işler yeniden denensin mi?", "Retry every matching needs_attention job?"),
    "confirm_cancel": ("Bu iş iptal edilsin mi? GİB'e gönderilmiş bir belge iptal edilemez.", "Cancel this job? A document sent to GİB cannot be cancelled here."),
    "confirm_resolve": ("Bu iş çözüldü olarak kapatılsın mı?", "Close this job as resolved?"),
    "confirm_replay": ("Bu olay yeniden işlensin mi?", "Replay this event?"),
    "fix": ("Yapılacak", "What to do"),
    "count": ("Adet", "Count"),
    "reason": ("Gerekçe", "Reason"),
    "received": ("Alındı", "Received"),
    "topic": ("Konu", "Topic"),
    "source": ("Kaynak", "Source"),
    "job": ("İş", "Job"),
    "runs": ("Çalıştırmalar", "Runs"),
    "window": ("Aralık", "Window"),
    "differences": ("Farklar", "Differences"),
    "category": ("Kategori", "Category"),
    "action": ("Eylem", "Action"),
    "evidence": ("Kanıt", "Evidence"),
    "calls": ("Çağrı", "Calls"),
    "errors": ("Hatalar", "Errors"),
    "rate_limited": ("429 (hız sınırı)", "429s (rate limited)"),
    "last_success": ("Son başarılı çağrı", "Last success"),
    "last_failure": ("Son hata", "Last failure"),
    "since": ("Başlangıç", "Since"),
    "actor": ("Kim", "Who"),
    "what": ("Ne", "What"),
    "nothing": ("Kayıt yok.", "Nothing here."),
    "done": ("Tamam", "Done"),
    "dry_run": ("deneme", "dry run"),
    # the document chain's parts (GLOSSARY terms)
    "sale": ("Satış faturası", "Sale invoice"),
    "proforma": ("Proforma", "Proforma"),
    "cancel_doc": ("İptal / İADE", "Cancel / return"),
    "return_doc": ("İADE faturası", "Return invoice"),
    "edited": ("Faturadan sonra değişti", "Changed after invoicing"),
    "customer": ("Cari", "Cari (customer)"),
    "invoice": ("Fatura", "Invoice"),
    "e_document": ("GİB belgesi (e-Fatura / e-Arşiv)", "GİB document (e-Fatura / e-Arşiv)"),
    "journal": ("Yevmiye fişi", "Journal (fiş)"),
    "e_fatura": ("e-Fatura", "e-Fatura"),
    "e_arsiv": ("e-Arşiv", "e-Arşiv"),
    # statuses
    "queued": ("kuyrukta", "queued"),
    "running": ("çalışıyor", "running"),
    "retrying": ("yeniden denenecek", "retrying"),
    "needs_attention": ("müdahale bekliyor", "needs attention"),
    "completed": ("tamamlandı", "completed"),
    "cancelled": ("iptal edildi", "cancelled"),
    "accepted": ("kabul edildi", "accepted"),
    "duplicate": ("tekrar", "duplicate"),
    "rejected": ("reddedildi", "rejected"),
    "ignored": ("yok sayıldı", "ignored"),
}

KIND_LABEL = {JobKind.SALE.value: "sale", JobKind.PROFORMA.value: "proforma", JobKind.CANCEL.value: "cancel_doc",
              JobKind.RETURN.value: "return_doc"}

# The one short text per AttentionCategory: what an operator does about it, then what to press.
ATTENTION_FIX: dict[str, tuple[str, str]] = {
    AttentionCategory.INVALID_ORDER: (
        "Sipariş bu haliyle faturalanamaz: mağazada siparişi düzeltin, sonra olayı yeniden işleyin.",
        "The order cannot be invoiced as it is: fix it at the shop, then replay its event."),
    AttentionCategory.INVALID_TAX_ID: (
        "Alıcının TCKN / VKN'si hatalı: mağazada düzeltin (şirket için vergi dairesiyle), sonra olayı yeniden işleyin.",
        "The buyer's TCKN / VKN fails its checksum: correct it at the shop (a company also needs its vergi dairesi), then replay the event."),
    AttentionCategory.PROVIDER_REFUSED: (
        "Sağlayıcı kalıcı olarak reddetti: mesajındaki alanı düzeltin (mağaza ayarı veya sipariş), sonra yeniden deneyin.",
        "The provider refused for good: fix the field its message names (store config or order), then retry."),
    AttentionCategory.AUTH: (
        "Kimlik bilgileri reddedildi: sağlayıcı anahtarını / şifresini yenileyin, sonra yeniden deneyin.",
        "Credentials were refused: renew the provider key / password, then retry."),
    AttentionCategory.RETRIES_EXHAUSTED: (
        "Deneme hakkı bitti: sağlayıcı durumu sayfasına bakın; sağlayıcı düzelince yeniden deneyin.",
        "Out of retries: check provider health; retry once the provider answers again."),
    AttentionCategory.GIB_SEND_UNCONFIRMED: (
        "GİB'e gönderildi mi bilinmiyor: ASLA yeniden göndermeyin; sağlayıcı panelinde ETTN ile arayın, sonra çözüldü olarak işaretleyin.",
        "Unknown whether it reached GİB: NEVER resend; look the ETTN up in the provider's panel, then mark resolved."),
    AttentionCategory.GIB_SEND_FAILED: (
        "GİB hata verdi veya reddetti: GİB'in mesajını okuyun, nedeni giderin; gerekirse yeni belge için yeniden deneyin.",
        "GİB gave an error or a rejection: read GİB's words, remove the cause, then retry for a new document."),
    AttentionCategory.GIB_NO_ANSWER: (
        "GİB süresinde yanıt vermedi: sağlayıcı panelinde belgenin durumuna bakın; yanıt geldiyse yeniden deneyin (durum sorgulanır).",
        "GİB gave no final answer in time: check the document at the provider; retry to poll its status again."),
    AttentionCategory.TOTAL_MISMATCH: (
        "Sağlayıcının toplamı ödenenden farklı: satır KDV oranlarını / indirimleri kontrol edin; GİB'e gönderilmedi.",
        "The provider's total differs from what was paid: check line VAT rates / discounts; nothing went to GİB."),
    AttentionCategory.CONFIG: (
        "Mağaza veya sağlayıcı yapılandırılmamış: stores dosyasını düzeltin, servisi yeniden başlatın, sonra yeniden deneyin.",
        "The store or provider is not configured: fix the stores file, restart, then retry."),
    AttentionCategory.MISSING_AT_PROVIDER: (
        "Mutabakat: fatura sağlayıcıda yok: sağlayıcıda arayın; silindiyse yeniden deneyin, yoksa çözüldü olarak işaretleyin.",
        "Reconciliation: the invoice is gone at the provider: look for it there; retry if it was deleted, else mark resolved."),
    AttentionCategory.CANCELLED_BEFORE_SEND: (
        "Sipariş GİB'den önce iptal edildi: sağlayıcıdaki taslak faturayı silin, sonra çözüldü olarak işaretleyin.",
        "Cancelled before the GİB send: delete the draft invoice at the provider, then mark resolved."),
    AttentionCategory.CANCELLED_AFTER_SEND: (
        "Sipariş GİB'den sonra iptal edildi: e-Arşiv ise sağlayıcıda iptal edin, e-Fatura ise İADE faturası kesin; sonra çözüldü olarak işaretleyin.",
        "Cancelled after the GİB send: cancel the e-Arşiv at the provider, or issue an İADE faturası for an e-Fatura; then mark resolved."),
    AttentionCategory.REFUND_AFTER_SEND: (
        "Sipariş GİB gönderiminden sonra iade edildi ve iade belgesi otomatik düzenlenemiyor: işteki faturayı, kalemleri ve tutarları sağlayıcıda İADE olarak belgeleyin (e-Fatura ise alıcının İADE faturasını bekleyin); sonra çözüldü olarak işaretleyin.",
        "Refunded after the GİB send and the return cannot be documented automatically: document the invoice, lines and amounts the job names as an İADE at the provider (for an e-Fatura, the buyer issues it); then mark resolved."),
}
UNKNOWN_FIX = ("Bilinmeyen neden: işin son hatasını okuyun.", "Unknown reason: read the job's last error.")

assert set(ATTENTION_FIX) == set(AttentionCategory), "one fix text per AttentionCategory"


def label(key: str, lang: str = DEFAULT_LANG) -> str:
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "tr" else pair[1]


def attention_fix(category: str | None, lang: str = DEFAULT_LANG) -> str:
    pair = ATTENTION_FIX.get(category or "", UNKNOWN_FIX)  # type: ignore[call-overload]
    return pair[0] if lang == "tr" else pair[1]


def _at(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else ""


def next_action(job: Any, now: datetime, lang: str = DEFAULT_LANG) -> str:
    """What the product will do with the job next, and when (from its row alone)."""
    tr = lang == "tr"
    status = job.status
    if status == JobStatus.COMPLETED:
        return "Bir şey yapılmayacak: belge tamamlandı." if tr else "Nothing: the document is complete."
    if status == JobStatus.CANCELLED:
        return "Bir şey yapılmayacak: iş kapandı." if tr else "Nothing: the job is closed."
    if status == JobStatus.NEEDS_ATTENTION:
        fix = attention_fix(job.attention_category, lang)
        return (f"Operatörü bekliyor — {fix}" if tr else f"Waits for an operator — {fix}")
    step = _next_step(job)
    when = job.next_attempt_at
    if status == JobStatus.RUNNING:
        return (f"Bir çalışan şu an üzerinde ({step} adımı)." if tr
                else f"A worker is on it now (step {step}).")
    due = "hemen" if tr else "now"
    if when is not None and when > now:
        due = _at(when)
    if job.step_e_document == StepState.IN_PROGRESS and job.e_document_sent_at is not None:
        return (f"GİB yanıtı sorgulanacak: {due}." if tr else f"Poll GİB's answer: {due}.")
    return (f"{step} adımı çalıştırılacak: {due}." if tr else f"Run step {step}: {due}.")


def _next_step(job: Any) -> str:
    for column in ("step_customer", "step_invoice", "step_e_document", "step_journal"):
        if getattr(job, column) not in (StepState.DONE, StepState.SKIPPED):
            return column.removeprefix("step_")
    return "journal"
