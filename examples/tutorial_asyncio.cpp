// The tutorial's asyncio program (../shared/tutorial/asyncio_demo.py), line for line.
#include <concurrence/asyncio.hpp>

#include <cstdio>

namespace asyncio = concurrence::asyncio;

static void print(const char* line) {
    std::puts(line);
    std::fflush(stdout);
}

// Définir une fonction asynchrone
asyncio::Coro<> dire_bonjour() {
    print("Bonjour!");
    co_await asyncio::sleep(2);  // Attendre 2 secondes sans bloquer le programme
    print("Bonjour après 2 secondes!");
}

asyncio::Coro<> dire_au_revoir() {
    print("Au revoir!");
    co_await asyncio::sleep(1);  // Attendre 1 seconde
    print("Au revoir après 1 seconde!");
}

// Créer un événement principal qui exécute les deux tâches en parallèle
asyncio::Coro<> main_() {
    // Les tâches sont lancées "concurremment"
    co_await asyncio::gather(dire_bonjour(), dire_au_revoir());
}

int main() {
    // Exécuter l'événement principal
    asyncio::run(main_());
}
