# Secret containers. Terraform never stores a value, so none lands in state, plans or git:
# - operator-set secrets (the API key): set once with
#   aws secretsmanager put-secret-value --secret-id <arn> --secret-string "$(openssl rand -hex 32)"
# - generated secrets (var.generated, the pseudonymisation key): Terraform writes 64 random
#   characters once, from an ephemeral value through a write-only argument (never in state).
module "key" {
  source = "../kms_key"

  alias       = "${var.name}-secrets"
  description = "${var.name}: Secrets Manager secrets"
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:The API key is set by an operator (rotation runbook: put-secret-value + rollout); the pseudonymisation key must never rotate by itself (a new key changes every pseudonym, see docs/data-governance.md).
  for_each = var.secrets

  name                    = "${var.name}/${each.key}"
  description             = each.value
  kms_key_id              = module.key.arn
  recovery_window_in_days = var.recovery_window_in_days
}

ephemeral "random_password" "generated" {
  for_each = var.generated

  length  = 64
  special = false
}

# Written once (version 1): bump secret_string_wo_version only to rotate on purpose.
resource "aws_secretsmanager_secret_version" "generated" {
  for_each = var.generated

  secret_id                = aws_secretsmanager_secret.this[each.key].id
  secret_string_wo         = ephemeral.random_password.generated[each.key].result
  secret_string_wo_version = 1
}
