"""Certificates: the data printed on a certificate, its PDF, and its signatures.

The modules here are pure: no Flask, no SQLAlchemy, no app configuration.

- ``certs.document`` -- ``CertificateData``, the validated, NFC-normalised content of one
  "Chứng chỉ ứng dụng công nghệ thông tin" (TTLT 17/2016, Thông tư 03/2014/TT-BTTTT), and its
  canonical structured form for digital export.
- ``certs.pdf`` -- ``render_certificate(data) -> bytes``: a deterministic A4-landscape PDF with
  embedded Vietnamese fonts and a verification QR code.
- ``certs.signing`` -- Ed25519 signatures over the canonical payload and over the PDF's SHA-256;
  keys are passed in, never read from the application.
"""
