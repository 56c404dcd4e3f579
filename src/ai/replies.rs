//! Canned replies (fallback, missing key) and the admin-panel trigger phrases.

use super::AiError;

/// A friendly reply for when the provider could not answer; the cause stays in the logs.
pub fn fallback_reply(err: &AiError) -> String {
    match err {
        AiError::InvalidKey { .. } => "I couldn't reach the AI service because the API key was \
             rejected. Please check the OpenAI key saved in your settings (or ask an \
             administrator to check the server's key)."
            .to_string(),
        AiError::RateLimited { .. } => "The AI service is busy right now (rate limited). \
             Please try again in a minute; your bots keep running as usual."
            .to_string(),
        _ => "Sorry, the AI assistant is temporarily unavailable. Please try again shortly; \
             your bots, trades and settings are not affected."
            .to_string(),
    }
}

/// What to tell a user when neither they nor the server have an API key configured.
pub fn no_key_guidance() -> String {
    "The AI assistant needs an API key for an OpenAI-compatible provider. Add your key under \
     Settings > API keys (provider \"openai\"), or ask an administrator to set OPENAI_API_KEY \
     on the server. Any compatible provider works (OpenAI, Groq, xAI, OpenRouter, a local \
     llama.cpp or Ollama server) via OPENAI_BASE_URL."
        .to_string()
}

/// Verbs that may open an admin request ("show admin", "take me to the admin panel").
const VERBS: [&str; 6] = ["show me", "show", "open", "display", "go to", "take me to"];
/// What may follow "admin" in a trigger phrase.
const NOUNS: [&str; 5] = ["", " panel", " dashboard", " page", " console"];

/// True when `text` asks for the admin panel. Deliberately strict (a whole short command,
/// not any sentence mentioning "admin"): triggers are answered locally and never reach the
/// provider, so a false positive would swallow a real question.
pub fn admin_trigger(text: &str) -> bool {
    let lowered = text.to_lowercase();
    let words: Vec<&str> = lowered
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let mut phrase = words.join(" ");
    for filler in ["please ", "hey ", "can you ", "could you "] {
        if let Some(rest) = phrase.strip_prefix(filler) {
            phrase = rest.to_string();
        }
    }
    if let Some(rest) = phrase.strip_suffix(" please") {
        phrase = rest.to_string();
    }
    let mut rest = phrase.as_str();
    let mut had_verb = false;
    for verb in VERBS {
        if let Some(r) = rest.strip_prefix(verb).and_then(|r| r.strip_prefix(' ')) {
            rest = r;
            had_verb = true;
            break;
        }
    }
    if had_verb {
        rest = rest.strip_prefix("the ").unwrap_or(rest);
    }
    let is_admin_noun = NOUNS.iter().any(|n| rest == format!("admin{n}"));
    // A bare "admin" is too vague; "admin panel" alone is a clear request.
    is_admin_noun && (had_verb || rest != "admin")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_phrases_are_recognised() {
        for text in [
            "show admin",
            "  SHOW ADMIN  ",
            "admin panel",
            "Open admin",
            "show me the admin panel",
            "Show me the admin panel!",
            "please open the admin dashboard",
            "take me to the admin page please",
            "can you show admin?",
        ] {
            assert!(admin_trigger(text), "{text:?} should trigger");
        }
    }

    #[test]
    fn ordinary_questions_do_not_trigger() {
        for text in [
            "admin",
            "",
            "what does the admin panel do?",
            "show my bots",
            "show administration fees",
            "how do I become an admin",
            "show admin panel and also explain my losses",
        ] {
            assert!(!admin_trigger(text), "{text:?} should not trigger");
        }
    }

    #[test]
    fn canned_replies_are_friendly_and_distinct() {
        let busy = fallback_reply(&AiError::RateLimited { retry_after: None });
        let down = fallback_reply(&AiError::Server { status: 500 });
        assert_ne!(busy, down);
        assert!(no_key_guidance().contains("OPENAI_API_KEY"));
    }
}
