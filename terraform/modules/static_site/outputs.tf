output "bucket_name" {
  description = "Name of the site's bucket (the target of `aws s3 sync`)."
  value       = module.bucket.id
}

output "bucket_arn" {
  description = "ARN of the site's bucket."
  value       = module.bucket.arn
}

output "distribution_id" {
  description = "Id of the CloudFront distribution (for invalidations)."
  value       = aws_cloudfront_distribution.this.id
}

output "distribution_arn" {
  description = "ARN of the CloudFront distribution (the key policy lets it decrypt)."
  value       = aws_cloudfront_distribution.this.arn
}

output "url" {
  description = "HTTPS URL of the site."
  value       = "https://${aws_cloudfront_distribution.this.domain_name}"
}
