# Secret containers only. Terraform never sees a value, so none lands in state, plans or git;
# an operator sets it once with
#   aws secretsmanager put-secret-value --secret-id <arn> --secret-string "$(openssl rand -hex 32)"
module "key" {
  source = "../kms_key"

  alias       = "${var.name}-secrets"
  description = "${var.name}: Secrets Manager secrets"
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Values are application API keys set by an operator; rotation is a documented runbook (put-secret-value + rollout), not a rotation Lambda.
  for_each = var.secrets

  name                    = "${var.name}/${each.key}"
  description             = each.value
  kms_key_id              = module.key.arn
  recovery_window_in_days = var.recovery_window_in_days
}
