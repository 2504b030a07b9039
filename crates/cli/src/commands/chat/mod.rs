//! `adapterbot chat`: a conversation in the terminal with the same bot the server runs. Every
//! turn is planned by the server's turn planner (manager → knowledge → persona → prompt) and
//! decoded the server's way (`crate::bot`). Replies go to stdout; how each turn was routed, and
//! everything else the session says, goes to stderr, so `echo hi | adapterbot chat` prints only
//! the reply.

mod input;
mod line;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use adapterbot_engine::{ChatMessage, Engine};
use adapterbot_skills::turn::SamplingOverrides;
use adapterbot_skills::{
    clean_persona, Passage, RouteDecision, SkillChoice, TurnPlanner, TurnRequest,
};

use super::generate::SamplingArgs;
use crate::bot::{self, explain, route_line};
use crate::model_args::{terminal_planner, ModelArgs, PlannerArgs};
use input::Input;
use line::{Line, HELP};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub planner: PlannerArgs,
    /// The skill for every turn, or `auto`: the dialogue manager picks each turn's skill, as
    /// the server does (`/skill` changes it).
    #[arg(long, default_value = "auto", conflicts_with = "adapter")]
    pub skill: String,
    /// Chat with the adapter in this folder (skill.json + adapter.safetensors) alone.
    #[arg(long)]
    pub adapter: Option<PathBuf>,
    /// A persona fact for the persona skill (repeatable; `/persona` changes them).
    #[arg(long)]
    pub persona: Vec<String>,
    /// System prompt (default: the model's own).
    #[arg(long)]
    pub system: Option<String>,
    /// Print only the replies: no line saying how each turn was routed.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let engine = args.model.load()?;
    let skill = args.adapter.is_none().then_some(args.skill.as_str());
    let (planner, skill) =
        terminal_planner(&engine, &args.planner, skill, args.adapter.as_deref(), true)?;
    let mut input = Input::open()?;
    let mut session = Session {
        engine: &engine,
        planner,
        skill,
        persona: clean_persona(args.persona.iter().map(String::as_str)),
        system: args.system.map(|s| ChatMessage::new("system", s)),
        history: Vec::new(),
        sampling: args.sampling.overrides(),
        last: None,
        quiet: args.quiet,
        dim: std::io::stderr().is_terminal(),
    };
    session.reset();
    if input.is_terminal() && !args.quiet {
        session.note(&format!(
            "AdapterBot chat · skills: {} · {}. /help lists the commands.",
            session.planner.registry.ids().join(", "),
            session.skill_text()
        ));
    }
    let mut out = std::io::stdout().lock();
    let mut failed = 0;
    while let Some(text) = input.next_line()? {
        let result = match Line::parse(&text) {
            Line::Blank => Ok(()),
            Line::Say(message) => session.say(message, &mut out),
            Line::Skill(id) => session.set_skill(id),
            Line::Persona(facts) => {
                session.persona = facts;
                session.note(&session.persona_text());
                Ok(())
            }
            Line::Why => {
                match &session.last {
                    Some((route, passages)) => eprint!("{}", explain(route, passages)),
                    None => eprintln!("no turn yet"),
                }
                Ok(())
            }
            Line::Reset => {
                session.reset();
                session.note("(new conversation)");
                Ok(())
            }
            Line::Quit => break,
            Line::Help => {
                eprintln!("{HELP}");
                Ok(())
            }
            Line::Unknown(word) => Err(anyhow::anyhow!(
                "no command /{word}; /help lists them (start a message with \"//\" to send a slash)"
            )),
        };
        if let Err(e) = result {
            failed += 1;
            eprintln!("error: {e:#}");
        }
    }
    // A script that pipes turns in learns from the exit status that one went wrong.
    if failed > 0 && !input.is_terminal() {
        eprintln!("{failed} line(s) could not be answered");
        std::process::exit(1);
    }
    Ok(())
}

/// The conversation and what its next turn is answered with.
struct Session<'e> {
    engine: &'e Engine,
    planner: TurnPlanner,
    skill: SkillChoice,
    persona: Vec<String>,
    system: Option<ChatMessage>,
    history: Vec<ChatMessage>,
    sampling: SamplingOverrides,
    /// How the last turn was routed, for `/why`.
    last: Option<(RouteDecision, Vec<Passage>)>,
    quiet: bool,
    /// Dim the notes (stderr is a terminal).
    dim: bool,
}

impl Session<'_> {
    /// Answers one message, streaming the reply to `out`. A turn that fails is taken back, so
    /// the conversation stays as it was.
    fn say(&mut self, message: String, out: &mut impl Write) -> anyhow::Result<()> {
        self.history.push(ChatMessage::new("user", message));
        let result = self.answer(out);
        if result.is_err() {
            self.history.pop();
        }
        result
    }

    fn answer(&mut self, out: &mut impl Write) -> anyhow::Result<()> {
        let request = TurnRequest {
            messages: self.history.clone(),
            skill: self.skill.clone(),
            persona: self.persona.clone(),
            sampling: self.sampling.clone(),
        };
        let turn = self.planner.plan(self.engine, &request)?;
        if !self.quiet {
            self.note(&route_line(&turn.route, &turn.knowledge));
        }
        self.last = Some((turn.route.clone(), turn.knowledge.clone()));
        let streamed = bot::stream_turn(self.engine, &turn, |text| {
            out.write_all(text.as_bytes())?;
            out.flush()
        });
        writeln!(out)?;
        let reply = streamed?.text;
        // What the server does off its engine thread: embed the context the next turn will be
        // read after, so routing it only has to encode the turn.
        if let Err(e) = self.planner.prepare_next_turn(&self.history, &reply) {
            tracing::warn!(error = %e, "preparing the next turn's context failed");
        }
        self.history.push(ChatMessage::new("assistant", reply));
        Ok(())
    }

    fn set_skill(&mut self, id: Option<String>) -> anyhow::Result<()> {
        if let Some(id) = id {
            let choice = SkillChoice::parse(Some(&id));
            if let SkillChoice::Manual(id) = &choice {
                self.planner.registry.get(id)?;
            }
            self.skill = choice;
        }
        self.note(&self.skill_text());
        Ok(())
    }

    fn reset(&mut self) {
        self.history = self.system.iter().cloned().collect();
        self.last = None;
    }

    fn skill_text(&self) -> String {
        match (&self.skill, &self.planner.manager) {
            (SkillChoice::Manual(id), _) => {
                format!("every turn answered by `{id}` (/skill auto frees it)")
            }
            (SkillChoice::Auto, Some(_)) => "the dialogue manager picks each turn's skill".into(),
            (SkillChoice::Auto, None) => format!(
                "no dialogue manager loaded: `{}` answers every turn",
                self.planner.default_skill
            ),
        }
    }

    fn persona_text(&self) -> String {
        if self.persona.is_empty() {
            "persona: the persona skill's own facts".into()
        } else {
            format!("persona: {}", self.persona.join("; "))
        }
    }

    /// A line for the user on stderr (dim on a terminal), never mixed into the replies.
    fn note(&self, text: &str) {
        if self.dim {
            eprintln!("\x1b[2m{text}\x1b[0m");
        } else {
            eprintln!("{text}");
        }
    }
}
