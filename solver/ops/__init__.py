"""What every stage reads about the operations of a network: one descriptor per
activation (:mod:`.activations`), loss (:mod:`.losses`) and optimizer
(:mod:`.optimizers`), each added in one module of its package; the sympy functions they
use (:mod:`.functions`) and the LaTeX printer that prints them (:mod:`.latex`)."""
