from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import normalise_mobile, validate_mainland_mobile


class Role(models.TextChoices):
    """What a person does on the platform. Scoped roles are granted per district/estate."""

    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    DISTRICT_OFFICER = "district_officer", _("District officer")
    SUBDISTRICT_OFFICER = "subdistrict_officer", _("Sub-district officer")
    ESTATE_STAFF = "estate_staff", _("Estate staff")
    COMMITTEE_MEMBER = "committee_member", _("Owners' committee member")
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")
    CMS_EDITOR = "cms_editor", _("Site editor")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, mobile, password, **extra):
        mobile = normalise_mobile(mobile)
        validate_mainland_mobile(mobile)
        user = self.model(mobile=mobile, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, mobile, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(mobile, password, **extra)

    def create_superuser(self, mobile, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(mobile, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{self.model.USERNAME_FIELD: normalise_mobile(username)})


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: staff, officer, owner, tenant or editor. Logs in by mobile number."""

    log_label_is_personal = True  # its str names a person: accounts.audit keeps it out of the audit log

    mobile = models.CharField(
        _("mobile number"),
        max_length=11,
        unique=True,
        validators=[validate_mainland_mobile],
        error_messages={"unique": _("A user with this mobile number already exists.")},
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    # Wagtail's user admin reads first/last name; Chinese names are one field, so these stay empty.
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    is_staff = models.BooleanField(_("back-office access"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "mobile"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mobile__regex=r"^1[3-9][0-9]{9}$"),
                name="user_mobile_format",
            )
        ]

    def __str__(self):
        return self.name or self.masked_mobile

    @property
    def masked_mobile(self) -> str:
        return f"{self.mobile[:3]}****{self.mobile[-4:]}" if self.mobile else ""

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name

    def clean(self):
        super().clean()
        self.mobile = normalise_mobile(self.mobile)


class OneTimeCode(models.Model):
    """A one-time code sent by SMS to confirm that a person holds a mobile number (``accounts.one_time_codes``).

    Only a keyed hash of the code is stored; a code is good for one use, a few tries and a few minutes.
    Not tied to an account: an applicant confirms a number before having one."""

    mobile = models.CharField(_("mobile number"), max_length=11, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=30)
    code_hash = models.CharField(_("code (hashed)"), max_length=64)
    address = models.GenericIPAddressField(_("requested from"), null=True, blank=True)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["mobile", "purpose", "-created_at"], name="one_time_code_latest")]

    def __str__(self):
        return f"{self.mobile[:3]}****{self.mobile[-4:]} · {self.purpose}"
