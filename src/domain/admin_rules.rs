//! Admin self-protection rules: an admin cannot lock themself out, and the last admin stays.

use crate::domain::user::{Role, User, UserStatus};
use crate::error::AppError;

/// Actions an admin may take on a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    Approve,
    Block,
    Unblock,
    ForceLogout,
    ResetPassword,
    ChangeRole(Role),
    Delete,
}

impl UserAction {
    pub fn name(self) -> &'static str {
        match self {
            Self::Approve => "user.approve",
            Self::Block => "user.block",
            Self::Unblock => "user.unblock",
            Self::ForceLogout => "user.logout",
            Self::ResetPassword => "user.reset_password",
            Self::ChangeRole(_) => "user.role",
            Self::Delete => "user.delete",
        }
    }
}

/// Refuses self-harm (block, demote, delete yourself) and anything that would leave the
/// platform without an active admin. `active_admins` counts admins whose status is active:
/// a blocked or pending admin cannot unlock anything, so removing one takes nothing away.
pub fn check(
    admin: &User,
    target: &User,
    action: UserAction,
    active_admins: u64,
) -> Result<(), AppError> {
    let is_self = admin.id == target.id;
    let removes_admin = target.role == Role::Admin
        && target.status == UserStatus::Active
        && matches!(
            action,
            UserAction::Block | UserAction::Delete | UserAction::ChangeRole(Role::User)
        );
    if is_self
        && matches!(
            action,
            UserAction::Block | UserAction::Delete | UserAction::ChangeRole(Role::User)
        )
    {
        return Err(AppError::bad_request(
            "SELF_ACTION_REFUSED",
            "You cannot block, demote or delete your own account",
        ));
    }
    if removes_admin && active_admins <= 1 {
        return Err(AppError::bad_request(
            "LAST_ADMIN",
            "The last admin cannot be blocked, demoted or deleted",
        ));
    }
    Ok(())
}

/// A one-time password that satisfies the password policy (letters and digits, 16 chars).
pub fn one_time_password() -> String {
    use rand::Rng;
    const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    let mut rng = rand::thread_rng();
    let mut chars: Vec<u8> = (0..14)
        .map(|_| LETTERS[rng.gen_range(0..LETTERS.len())])
        .collect();
    chars.push(DIGITS[rng.gen_range(0..DIGITS.len())]);
    chars.push(DIGITS[rng.gen_range(0..DIGITS.len())]);
    // Shuffle so the digits are not always at the end.
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.gen_range(0..=i));
    }
    String::from_utf8(chars).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> User {
        let mut u = User::new(
            &format!("{}@x.io", uuid::Uuid::new_v4()),
            "U",
            "h".into(),
            UserStatus::Active,
            chrono::Utc::now(),
        );
        u.role = role;
        u
    }

    #[test]
    fn admins_cannot_harm_themselves() {
        let admin = user(Role::Admin);
        for action in [
            UserAction::Block,
            UserAction::Delete,
            UserAction::ChangeRole(Role::User),
        ] {
            assert!(check(&admin, &admin, action, 5).is_err(), "{action:?}");
        }
        assert!(check(&admin, &admin, UserAction::ForceLogout, 5).is_ok());
    }

    #[test]
    fn the_last_admin_stays_an_admin() {
        let (a, b) = (user(Role::Admin), user(Role::Admin));
        assert!(check(&a, &b, UserAction::ChangeRole(Role::User), 1).is_err());
        assert!(check(&a, &b, UserAction::ChangeRole(Role::User), 2).is_ok());
        assert!(check(&a, &user(Role::User), UserAction::Delete, 1).is_ok());
    }

    #[test]
    fn only_active_admins_count_as_the_last_one() {
        let a = user(Role::Admin);
        for status in [UserStatus::Blocked, UserStatus::Pending] {
            let mut idle = user(Role::Admin);
            idle.status = status;
            for action in [
                UserAction::Block,
                UserAction::Delete,
                UserAction::ChangeRole(Role::User),
            ] {
                assert!(check(&a, &idle, action, 1).is_ok(), "{status:?} {action:?}");
            }
        }
        let active = user(Role::Admin);
        for action in [UserAction::Block, UserAction::Delete] {
            assert!(check(&a, &active, action, 1).is_err(), "{action:?}");
        }
    }

    #[test]
    fn one_time_passwords_meet_the_policy_and_differ() {
        let (p, q) = (one_time_password(), one_time_password());
        assert_eq!(p.len(), 16);
        assert_ne!(p, q);
        assert!(crate::domain::auth_rules::check_password("password", &p).is_ok());
    }
}
