# Two static sites behind CloudFront: the analytics viewer and the analysts' dbt docs.
locals {
  issuer_origin = regex("^https://[^/]+", var.jwt_issuer)
}

module "viewer_site" {
  source = "./modules/static_site"

  name                = "${var.name}-viewer"
  bucket_name         = "${var.name}-viewer-${local.account_id}"
  kms_key_arn         = aws_kms_key.this.arn
  default_root_object = "index.html"
  single_page_app     = true
  # The API's URL is only known after the distribution exists (CORS names the distribution), so
  # the policy allows this region's HTTP APIs and the IdP's origin.
  connect_src = ["https://*.execute-api.${local.region}.amazonaws.com", local.issuer_origin]
}

module "docs_site" {
  source = "./modules/static_site"

  name                = "${var.name}-docs"
  bucket_name         = "${var.name}-docs-${local.account_id}"
  kms_key_arn         = aws_kms_key.this.arn
  default_root_object = "index.html"
  single_page_app     = false
}
