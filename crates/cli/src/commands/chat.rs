//! `adapterbot chat`: an interactive conversation in the terminal.

use std::io::{BufRead, Write};

use adapterbot_engine::{ChatMessage, Event};
use adapterbot_skills::{build_prompt, PromptContext};

use super::generate::SamplingArgs;
use crate::model_args::{AdapterArgs, ModelArgs};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub adapter: AdapterArgs,
    /// System prompt (default: the model's own).
    #[arg(long)]
    pub system: Option<String>,
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let params = args.sampling.params();
    params.validate()?;
    let engine = args.model.load()?;
    let skill = args.adapter.load(&engine)?;
    let mut history: Vec<ChatMessage> = args
        .system
        .iter()
        .map(|s| ChatMessage::new("system", s))
        .collect();
    eprintln!("AdapterBot chat. Type a message; /reset starts over, /quit or Ctrl-D leaves.");
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    loop {
        eprint!("> ");
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            break;
        }
        let line = line.trim();
        match line {
            "" => continue,
            "/quit" | "/exit" => break,
            "/reset" => {
                history.retain(|m| m.role == "system");
                eprintln!("(new conversation)");
                continue;
            }
            _ => {}
        }
        history.push(ChatMessage::new("user", line));
        // The prompt builder keeps the newest turns when the conversation outgrows the context.
        let built = build_prompt(
            &engine,
            &history,
            &skill.settings,
            &PromptContext::default(),
            params.max_tokens,
        );
        let prompt = match built {
            Ok(p) => p.ids,
            Err(e) => {
                history.pop();
                eprintln!("error: {e}");
                continue;
            }
        };
        let mut reply = String::new();
        let result = (|| -> anyhow::Result<()> {
            for event in engine.generate(prompt, params.clone(), skill.adapter.as_ref())? {
                if let Event::Text { text } = event? {
                    out.write_all(text.as_bytes())?;
                    out.flush()?;
                    reply.push_str(&text);
                }
            }
            Ok(())
        })();
        writeln!(out)?;
        match result {
            Ok(()) => history.push(ChatMessage::new("assistant", reply)),
            Err(e) => {
                // Keep the conversation usable: drop the turn that failed and say why.
                history.pop();
                eprintln!("error: {e:#}");
            }
        }
    }
    Ok(())
}
