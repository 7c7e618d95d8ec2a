# A static site: a private bucket that only this CloudFront distribution can read (origin access
# control, SigV4), served over HTTPS only with security headers.
module "bucket" {
  source = "../s3_bucket"

  name             = var.bucket_name
  kms_key_arn      = var.kms_key_arn
  versioning       = true
  policy_documents = [data.aws_iam_policy_document.read_from_cloudfront.json]
  tags             = var.tags
}

data "aws_iam_policy_document" "read_from_cloudfront" {
  statement {
    sid       = "ReadFromThisDistributionOnly"
    actions   = ["s3:GetObject"]
    resources = ["${module.bucket.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.this.arn]
    }
  }
}

resource "aws_cloudfront_origin_access_control" "this" {
  name                              = var.name
  description                       = "Signs requests from CloudFront to the ${var.name} bucket."
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "this" {
  name = "${var.name}-security-headers"

  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 63072000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }

    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }

    content_security_policy {
      content_security_policy = "default-src 'self'; connect-src 'self' ${join(" ", var.connect_src)}; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
      override                = true
    }
  }
}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_68:A WAF web ACL costs more than the static site it would guard; the site holds no data and the API behind it is JWT-authorized and throttled.
  #checkov:skip=CKV2_AWS_47:No WAF (see CKV_AWS_68); the origin is S3 static files, not a Java service.
  #checkov:skip=CKV_AWS_86:Access logging needs an ACL-enabled log bucket, which this stack forbids; CloudFront standard metrics are kept.
  #checkov:skip=CKV_AWS_310:A single S3 origin; S3's regional durability makes a failover origin unnecessary for a static site.
  #checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate is used; TLS 1.2 minimum needs a custom domain certificate, which the deployer may add.
  #checkov:skip=CKV_AWS_374:The app's tenants and their users are worldwide; access is controlled by JWT at the API, not by country.
  #checkov:skip=CKV2_AWS_42:The default *.cloudfront.net certificate is used unless a custom domain is added.
  enabled             = true
  comment             = var.name
  default_root_object = var.default_root_object
  price_class         = var.price_class
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  tags                = var.tags

  origin {
    origin_id                = "s3"
    domain_name              = module.bucket.regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this.id
  }

  default_cache_behavior {
    target_origin_id           = "s3"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this.id
  }

  dynamic "custom_error_response" {
    for_each = var.single_page_app ? [403, 404] : []

    content {
      error_code         = custom_error_response.value
      response_code      = 200
      response_page_path = "/${var.default_root_object}"
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
