//! Where `adapterbot chat` reads lines from: a line editor with history when stdin is a
//! terminal (rustyline), plain lines when it is piped (`echo hi | adapterbot chat`).

use std::io::{BufRead, IsTerminal};

use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

pub enum Input {
    Editor(Box<DefaultEditor>),
    Piped(std::io::Lines<std::io::StdinLock<'static>>),
}

impl Input {
    pub fn open() -> anyhow::Result<Input> {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            Ok(Input::Editor(Box::new(DefaultEditor::new()?)))
        } else {
            Ok(Input::Piped(stdin.lock().lines()))
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, Input::Editor(_))
    }

    /// The next line, or `None` at the end of input (Ctrl-D, or the pipe closed). Ctrl-C on
    /// the prompt drops what was typed and asks again.
    pub fn next_line(&mut self) -> anyhow::Result<Option<String>> {
        match self {
            Input::Piped(lines) => Ok(lines.next().transpose()?),
            Input::Editor(editor) => loop {
                match editor.readline("> ") {
                    Ok(line) => {
                        if !line.trim().is_empty() {
                            // History is a convenience: a line it refuses is still answered.
                            let _ = editor.add_history_entry(line.as_str());
                        }
                        return Ok(Some(line));
                    }
                    Err(ReadlineError::Interrupted) => continue,
                    Err(ReadlineError::Eof) => return Ok(None),
                    Err(e) => return Err(e.into()),
                }
            },
        }
    }
}
