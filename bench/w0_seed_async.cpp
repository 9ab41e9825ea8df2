// W0 (seed-async): the tutorial's asyncio program (../shared/tutorial/asyncio_demo.py) with
// print wrapped by a recorder; then the RESULT line. Like the tutorial, nothing is printed
// after the gather. Expected order B1,A1,A2,B2; seconds ≈ 2.0.
#include <concurrence/asyncio.hpp>

#include "result_line.hpp"
#include "w0_recorder.hpp"

namespace asyncio = concurrence::asyncio;

static bench::LineRecorder out;

// Définir une fonction asynchrone
static asyncio::Coro<> dire_bonjour() {
    out.say("Bonjour!");
    co_await asyncio::sleep(2);  // Attendre 2 secondes sans bloquer le programme
    out.say("Bonjour après 2 secondes!");
}

static asyncio::Coro<> dire_au_revoir() {
    out.say("Au revoir!");
    co_await asyncio::sleep(1);  // Attendre 1 seconde
    out.say("Au revoir après 1 seconde!");
}

// Créer un événement principal qui exécute les deux tâches en parallèle
static asyncio::Coro<> main_() {
    // Les tâches sont lancées "concurremment"
    co_await asyncio::gather(dire_bonjour(), dire_au_revoir());
}

int main() {
    const double t0 = bench::now_s();
    asyncio::run(main_());  // Exécuter l'événement principal
    const double seconds = bench::now_s() - t0;
    out.print_result("seed-async", seconds, "B1,A1,A2,B2");
}
