// W0 (seed-threads): the tutorial's threading program (../shared/tutorial/threading_demo.py)
// on concurrence::threading::Thread, with print wrapped by a recorder; then the RESULT line.
// Expected order B1,A1,A2,B2,END (the first two are a race, as in Python); seconds ≈ 2.0.
#include <concurrence/threading.hpp>

#include <chrono>
#include <thread>

#include "result_line.hpp"
#include "w0_recorder.hpp"

namespace threading = concurrence::threading;
using namespace std::chrono_literals;

static bench::LineRecorder out;

// Définir une fonction à exécuter dans un thread
static void dire_bonjour() {
    out.say("Bonjour!");
    std::this_thread::sleep_for(2s);  // Simule une tâche longue
    out.say("Bonjour après 2 secondes!");
}

static void dire_au_revoir() {
    out.say("Au revoir!");
    std::this_thread::sleep_for(1s);  // Simule une tâche plus courte
    out.say("Au revoir après 1 seconde!");
}

int main() {
    const double t0 = bench::now_s();
    // Créer deux threads
    threading::Thread thread1(dire_bonjour);
    threading::Thread thread2(dire_au_revoir);

    // Démarrer les threads
    thread1.start();
    thread2.start();

    // Attendre que les threads se terminent avant de poursuivre
    thread1.join();
    thread2.join();

    out.say("Les deux threads sont terminés.");
    const double seconds = bench::now_s() - t0;
    out.print_result("seed-threads", seconds, "B1,A1,A2,B2,END");
}
