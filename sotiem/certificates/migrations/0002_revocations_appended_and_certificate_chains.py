"""Certificates are no longer updated: revocations go to their own table and each certificate names the one it
replaces. Existing revoked certificates become Revocation rows, and each person's certificates are chained in
the order they were issued (the newest is the head)."""

import django.db.models.deletion
from django.db import migrations, models


def forwards(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    Revocation = apps.get_model("certificates", "Revocation")
    revoked = Certificate.objects.filter(status="revoked").values_list(
        "id", "revoked_at", "revoke_reason", "hash_uci", "issued_at")
    Revocation.objects.bulk_create(
        [Revocation(certificate_id=cid, revoked_at=at or issued, reason=reason, hash_uci=uci)
         for cid, at, reason, uci, issued in revoked.iterator(chunk_size=5000)], batch_size=1000)
    previous: dict[int, int] = {}
    for cid, person_id in Certificate.objects.order_by("person_id", "id").values_list("id", "person_id").iterator(
            chunk_size=5000):
        if person_id in previous:
            Certificate.objects.filter(pk=cid).update(replaces_id=previous[person_id])
        previous[person_id] = cid


def backwards(apps, schema_editor):
    Certificate = apps.get_model("certificates", "Certificate")
    Revocation = apps.get_model("certificates", "Revocation")
    for revocation in Revocation.objects.all().iterator(chunk_size=5000):
        Certificate.objects.filter(pk=revocation.certificate_id).update(
            status="revoked", revoked_at=revocation.revoked_at, revoke_reason=revocation.reason)


class Migration(migrations.Migration):

    dependencies = [
        ('certificates', '0001_certificates_and_signing_keys'),
        ('people', '0009_person_birth_key'),
    ]

    operations = [
        migrations.CreateModel(
            name='Revocation',
            fields=[
                ('certificate', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='revocation', serialize=False, to='certificates.certificate')),
                ('revoked_at', models.DateTimeField()),
                ('reason', models.CharField(blank=True, max_length=200)),
                ('hash_uci', models.BinaryField(max_length=16)),
            ],
            options={
                'verbose_name': 'Thu hồi chứng nhận / certificate revocation',
                'verbose_name_plural': 'Thu hồi chứng nhận / certificate revocations',
            },
        ),
        migrations.AddField(
            model_name='certificate',
            name='replaces',
            field=models.OneToOneField(blank=True, help_text="the person's previous certificate", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='replaced_by', to='certificates.certificate'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='person',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certificates', to='people.person'),
        ),
        migrations.RemoveConstraint(
            model_name='certificate',
            name='certificate_one_current_per_person',
        ),
        migrations.RemoveIndex(
            model_name='certificate',
            name='certificate_revoked_at',
        ),
        migrations.RemoveIndex(
            model_name='certificate',
            name='certificate_revoked_signature',
        ),
        migrations.RemoveIndex(
            model_name='certificate',
            name='certificate_revoked_uci',
        ),
        migrations.RunPython(forwards, backwards),  # after the old constraint goes, before the old fields go
        migrations.RemoveField(
            model_name='certificate',
            name='revoke_reason',
        ),
        migrations.RemoveField(
            model_name='certificate',
            name='revoked_at',
        ),
        migrations.RemoveField(
            model_name='certificate',
            name='status',
        ),
        migrations.AlterField(
            model_name='certificate',
            name='signing_key',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='certificates.signingkey'),
        ),
        migrations.AlterField(
            model_name='certificate',
            name='uvci',
            field=models.CharField(help_text='the certificate identifier (ci); unique (Meta)', max_length=80),
        ),
        migrations.AddConstraint(
            model_name='certificate',
            constraint=models.UniqueConstraint(fields=('uvci',), name='certificate_uvci_unique'),
        ),
        migrations.AddConstraint(
            model_name='certificate',
            constraint=models.UniqueConstraint(condition=models.Q(('replaces__isnull', True)), fields=('person',), name='certificate_one_chain_per_person'),
        ),
        migrations.AddIndex(
            model_name='revocation',
            index=models.Index(fields=['hash_uci'], name='revocation_uci'),
        ),
    ]
