//! What can go wrong loading a module, and calling one.

use super::ModuleDigest;

/// Why a module was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The engine itself could not be set up.
    #[error("the Wasm engine could not start: {0}")]
    Engine(String),
    /// The bytes are not a Wasm component (a core module, another format, truncated).
    #[error("not a Wasm component: {detail}")]
    NotAComponent { why: NotAComponent, detail: String },
    /// The component does not export the world it was loaded as.
    #[error("the component does not implement the `{world}` world: {detail}")]
    WrongWorld { world: &'static str, detail: String },
    /// The component imports something the host does not give guests.
    #[error("the component imports what Arbiter does not provide: {0}")]
    ForbiddenImports(String),
    /// The module's `metadata` or `settings-schema` failed.
    #[error("the module failed while describing itself: {0}")]
    Describe(#[from] GuestFailure),
}

/// What the bytes are instead of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAComponent {
    /// Not WebAssembly at all.
    NotWasm,
    /// A core Wasm module, not encoded as a component.
    CoreModule,
    /// A precompiled native artifact (`.cwasm`), which the host never accepts.
    PrecompiledArtifact,
    /// WebAssembly that does not parse or validate as a component (truncated, corrupt).
    InvalidComponent,
}

impl LoadError {
    /// The stable code of this refusal (`core_module`, `wrong_world`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Engine(_) => "engine_unavailable",
            Self::NotAComponent { why, .. } => match why {
                NotAComponent::NotWasm => "not_wasm",
                NotAComponent::CoreModule => "core_module",
                NotAComponent::PrecompiledArtifact => "precompiled_artifact",
                NotAComponent::InvalidComponent => "invalid_component",
            },
            Self::WrongWorld { .. } => "wrong_world",
            Self::ForbiddenImports(_) => "forbidden_imports",
            Self::Describe(_) => "describe_failed",
        }
    }
}

/// The kinds of guest failure, as recorded and reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuestFailureKind {
    /// The call ran past its deadline.
    GuestTimeout,
    /// The guest tried to grow memory past its cap.
    GuestMemoryLimit,
    /// The guest overflowed its stack.
    GuestStackOverflow,
    /// The guest trapped (a panic, `unreachable`, an out-of-bounds access).
    GuestTrap,
    /// The guest returned a decision that breaks the contract.
    InvalidDecision,
    /// The guest returned more than the host accepts.
    OutputTooLarge,
    /// The module was not called: it ran out of time or memory too often in a row, and
    /// is suspended for a while (see `SuspensionPolicy`).
    ModuleSuspended,
}

impl GuestFailureKind {
    /// Whether the failure used up a limit (time or memory), which costs the host a
    /// whole deadline or a large allocation every time; repeated, these suspend.
    pub fn exhausts_limits(self) -> bool {
        matches!(self, Self::GuestTimeout | Self::GuestMemoryLimit)
    }

    /// The stable code of this kind (`guest_timeout`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Self::GuestTimeout => "guest_timeout",
            Self::GuestMemoryLimit => "guest_memory_limit",
            Self::GuestStackOverflow => "guest_stack_overflow",
            Self::GuestTrap => "guest_trap",
            Self::InvalidDecision => "invalid_decision",
            Self::OutputTooLarge => "output_too_large",
            Self::ModuleSuspended => "module_suspended",
        }
    }
}

/// A call into a module that did not return a usable answer.
#[derive(Debug, Clone, thiserror::Error)]
#[error("module {module} failed ({}): {detail}", kind.code())]
pub struct GuestFailure {
    pub module: ModuleDigest,
    pub kind: GuestFailureKind,
    pub detail: String,
}
